"""Per-source parser classes, for the rare outlet whose pages selectors cannot describe.

One module per outlet, in a folder per country (``pk/example_urdu_daily.py``); a registry entry
names its class with ``parser``.  The base class and the hook that loads and applies a parser
are the extractor's (``scrapers/extract/parser_hook.py``); its names are handed on here for the
parser classes and their tests.
"""

from scrapers.extract.parser_hook import FIELDS as FIELDS
from scrapers.extract.parser_hook import Parser as Parser
from scrapers.extract.parser_hook import load_parser as load_parser
