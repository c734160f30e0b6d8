# The rollout parameter: which share of orgs the Step Functions workflow evaluates (the rest stay
# on the legacy path). Terraform creates it once at 0%; `senso rollout` owns the value after that.

resource "aws_ssm_parameter" "rollout" {
  #checkov:skip=CKV2_AWS_34:Not a secret (a percentage and org lists); a plain String keeps `senso rollout` and the dispatcher free of KMS rights for it.
  name        = "/senso/${var.environment}/rollout"
  description = "senso rollout state (JSON); written by `senso rollout`, read by the dispatcher"
  type        = "String"
  value       = var.rollout_initial_value

  lifecycle {
    # senso writes the value; a later apply must not reset a rollout in progress.
    ignore_changes = [value]
  }
}
