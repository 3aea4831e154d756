"""The pure analysis (DESIGN §3, §4 step 4): article text in, dataclasses out.

Statements and their speech vocabulary, text spans, speakers, morphology, topics, claims, the
sentence encoder and the ``Analyzer`` that ties them. Nothing here imports Scrapy, a database
or the scheduler, or reads files: the gazetteer and the lexicon arrive as data from the
configuration (import-linter checks the first part; ``make lint`` runs it).
"""
