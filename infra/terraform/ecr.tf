# The registry of the step-handler image: immutable tags (a tag names one build forever),
# scanned on push, encrypted with its own key, pruned to the last var.ecr_keep_images images.

data "aws_iam_policy_document" "ecr_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key, not every resource; write actions go to the account root, which only delegates to IAM policies.
  #checkov:skip=CKV_AWS_356:Key policy: a key policy's Resource must be "*" (it means this key).
  # ECR encrypts layers through grants it creates on behalf of the pushing/pulling principal,
  # so the root delegation statement is all this key needs.
  statement {
    sid    = "AccountAdministersAndDelegatesToIam"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions   = local.kms_account_actions
    resources = ["*"] # in a key policy "*" means this key
  }
}

resource "aws_kms_key" "ecr" {
  description             = "senso ${var.environment}: step-handler image layers"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.ecr_key.json
}

resource "aws_kms_alias" "ecr" {
  name          = "alias/${local.name}-ecr"
  target_key_id = aws_kms_key.ecr.key_id
}

resource "aws_ecr_repository" "handlers" {
  name                 = "${var.image_repository}-${var.environment}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.ecr.arn
  }
}

resource "aws_ecr_lifecycle_policy" "handlers" {
  repository = aws_ecr_repository.handlers.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.ecr_keep_images} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.ecr_keep_images
      }
      action = { type = "expire" }
    }]
  })
}
