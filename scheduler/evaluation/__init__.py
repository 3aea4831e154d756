"""Evaluation against labels: ``peacewatch eval`` (statements, speakers, topics on the dev set;
statement clusters through the diff) and reading one file for ``peacewatch analyze``."""
