"""Scrapy spiders: one generic spider driven by a registry entry."""
