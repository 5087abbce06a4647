"""The task code the DAGs and the ``newsflow`` command call: each DAG task is one function here.

- ``plan``: the run's UTC day and one job per source;
- ``crawl``: a crawl as a ``scrapy crawl`` subprocess, judged from its stats file;
- ``daily``: news_daily's task functions (plan, crawl, write, gate, report), which news_ccnews
  and the command reuse;
- ``ccnews``: news_ccnews's own tasks (plan, discover, harvest, stage), the rest news_daily's;
- ``reprocess``: today's extractor again over archived WARCs (news_reprocess and the shell).
"""
