"""Words that never make a brand on their own: structure, filler and industry vocabulary.

A competitor candidate made only of these words ("Savings Accounts", "Best Overall", "Key
Features", "Credit Unions") is a heading or a category, not a company. Brand-bearing words
("America", "Capital", "First", "One", "Navy") are deliberately absent: they start real names.
"""

from __future__ import annotations

_STRUCTURE = """
a an the and or but of for to in on at by with from as vs versus via per about into over under
is are be it its this that these those our your you we us they their there here all any each
more most less other others another some many much few several both either also just only
what which who why how when where whose overall final bottom line summary overview conclusion
conclusions introduction considerations consideration comparison compare compared table
option options choice choices pick picks recommendation recommendations tips tip steps step
note notes important key takeaway takeaways highlights highlight verdict thoughts factors
factor consider details detail info information sources source references reference faq
faqs learn read website websites site sites link links click visit see example examples
pros cons pro con feature features benefit benefits advantage advantages drawback drawbacks
downside downsides upside upsides strengths weaknesses why category categories type types
ranking rankings rank ranked list number honorable mention mentions alternatives alternative
updated update today year years month months day days current currently new latest now
yes no not n/a na tbd none available availability unavailable varies depends
"""

_INDUSTRY = """
bank banks banking banker bankers credit union unions cu cus account accounts checking
savings saving loan loans lending lender lenders mortgage mortgages refinance refinancing
rate rates apy apr yield interest fee fees charge charges deposit deposits cd cds certificate
certificates money market markets investment investments investing invest insurance auto
car home homes personal business businesses small student students online mobile app apps
digital branch branches atm atms network networks customer customers service services
support member members membership eligibility eligible requirement requirements rewards
reward cash back cashback travel minimum minimums balance balances monthly annual
maintenance overdraft transfer transfers payment payments bill bills card cards debit
national regional local community federal large larger small smaller big traditional
institution institutions provider providers company companies firm firms brand brands
platform platforms tool tools software solution solutions product products price prices
pricing cost costs plan plans tier tiers trial security secure access ratings rating
reviews review score scores experience quality value convenience flexibility technology
innovation reputation stability customer-service fintech fintechs neobank neobanks
nationwide usa us-based state states united nation countrywide wide area areas
retirement ira iras 401k wealth management advisor advisors advisory brokerage trading
crypto budgeting budget savings-account high-yield hysa fdic ncua insured coverage
automation reporting report reports integrations integration analytics dashboard dashboards
model models setup onboarding scalability usability performance speed ease use
best-for ideal-for good-for great-for
"""

# Evaluative words ("Best", "Top-Rated", "Drawbacks") head list items but name no brand.
_EVALUATIVE = """
best excellent great top top-rated leading leader recommended recommend strong competitive
reliable trusted trustworthy popular highly award-winning award awards user-friendly
convenient innovative robust outstanding standout stands ideal good reputable favorable
favourable generous attractive excels praised renowned well-regarded well-known respected
seamless easy intuitive secure affordable flexible personalized personalised exceptional
superior solid impressive valuable benefit benefits advantage advantages perks rewards
friendly helpful responsive efficient fast quick low-cost free no-fee fee-free comprehensive
strength strengths notable favorite favourite loved love satisfaction satisfied high-yield
accessible transparent stable safe powerful versatile excel thrives pioneer
poor bad worst avoid complaint complaints lawsuit lawsuits fined fines penalty penalties
scandal fraud breach breaches outage outages slow unreliable negative expensive costly
difficult frustrating frustrated drawback drawbacks downside downsides criticized criticised
criticism issues problems problem lacks lacking limited hidden overdraft declined decline
struggling struggled controversy controversial investigation sanctions sanctioned misleading
unfair weak weakness weaknesses disappointing mediocre clunky outdated confusing delays
delayed glitches buggy concerns concern risky warning lower-rated unresponsive rude layoffs
closures failed failure bankrupt bankruptcy shut worse inferior
"""

GENERIC_WORDS = frozenset(_STRUCTURE.split() + _INDUSTRY.split() + _EVALUATIVE.split())
# Small words allowed in lower case inside a brand ("Bank of America", "Marcus by Goldman").
CONNECTORS = frozenset({"of", "by", "the", "and", "&", "for", "de", "du", "la", "le", "on", "at"})
