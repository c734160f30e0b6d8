# Provider credentials and the database URL: one JSON secret, encrypted with its own
# customer-managed key. Terraform creates the container only; operators put the values
# (`aws secretsmanager put-secret-value`), so no secret ever lands in Terraform state.

data "aws_iam_policy_document" "secrets_key" {
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key, not every resource; write actions go to the account root, which only delegates to IAM policies.
  #checkov:skip=CKV_AWS_356:Key policy: a key policy's Resource must be "*" (it means this key).
  # Key policies name the key itself as "*". The account root statement delegates access to
  # IAM policies (the task execution role's kms:Decrypt below); without it nobody could manage
  # the key. Actions are listed rather than kms:* so the policy grants nothing new by default.
  statement {
    sid    = "AccountAdministersAndDelegatesToIam"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions   = local.kms_account_actions
    resources = ["*"]
  }
}

resource "aws_kms_key" "secrets" {
  description             = "senso ${var.environment}: provider credentials and database URL"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.secrets_key.json
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${local.name}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

resource "aws_secretsmanager_secret" "handlers" {
  #checkov:skip=CKV2_AWS_57:The values are third-party API keys and a database URL owned by their providers; they are rotated there and re-put by operators, there is no rotation Lambda that could do it.
  name        = "${local.name}/handlers"
  description = "senso step-handler credentials: a JSON object with keys ${join(", ", var.secret_keys)}"
  kms_key_id  = aws_kms_key.secrets.arn

  recovery_window_in_days = var.secret_recovery_window_days
}

locals {
  # Administrative and cryptographic KMS actions the account root keeps on every key.
  kms_account_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]
}
