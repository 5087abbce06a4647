"""Parsers for Pakistani outlets whose pages selectors cannot describe."""
