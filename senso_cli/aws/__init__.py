"""Thin wrappers over the AWS services senso uses, plus the log follower and rate limiting.

Each wrapper takes its boto3 client in the constructor, exposes only the calls senso makes and
raises `senso_cli.aws.errors.AwsError` subclasses instead of botocore exceptions.
"""
