"""`senso cost-estimate`: the monthly cost of the Step Functions stack, next to the Inngest plan
it replaces, with the provider/LLM costs both share.

`pricing` loads the price table (package data `senso_cli/data/pricing.toml`: every price with
its source URL and date), `workload` says how much work a month holds (from the real ASL and
stated assumptions, or measured in the database), `estimate` multiplies the two into lines that
each name the pricing key they came from, and `render` writes them as Markdown.
"""
