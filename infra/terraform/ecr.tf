# The registry of the step-handler image: immutable tags (a tag names one build forever),
# scanned on push, encrypted with its own key; only untagged images expire (see below).

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

# Only untagged images expire. Every image a task definition revision names is named by its tag
# (`<repository>:<tag>`), and revisions stay registered (skip_destroy in ecs.tf) because an
# execution started before a deploy keeps running the revision it started with. ECR lifecycle
# rules expire images whether or not a task definition references them (ECR user guide,
# "Lifecycle policies"), so a count-based rule on tagged images could delete the image of a
# live revision. With IMMUTABLE tags a tag never moves, so a tagged image never becomes
# untagged: untagged images are only layers of failed or replaced pushes. Tagged images are
# pruned by hand after their revisions are deregistered (docs/aws-behaviour.md).
resource "aws_ecr_lifecycle_policy" "handlers" {
  repository = aws_ecr_repository.handlers.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Expire untagged images ${var.ecr_untagged_expiry_days} days after push; tagged images are kept"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = var.ecr_untagged_expiry_days
      }
      action = { type = "expire" }
    }]
  })
}
