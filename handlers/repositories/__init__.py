"""Read and write access to the workflow's tables, one repository per aggregate."""
