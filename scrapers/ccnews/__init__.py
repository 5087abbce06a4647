"""Backfill past days from Common Crawl's CC-NEWS archive (``news_ccnews``, docs/ccnews.md).

``archive`` says where the archive lives (HTTPS, ``s3://`` or a local folder) and reads it;
``discovery`` picks the WARC files of a day from the month's ``warc.paths.gz``; ``harvest``
streams one WARC into per-source parts; ``stage`` gathers the parts of a run into per-source
staging exactly like a crawl's, for news_daily's write, gate, report and publish.
"""
