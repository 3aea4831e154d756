"""The reader's view (DESIGN §7, issue 14): ``peacewatch ui``, Datasette over the store with
peacewatch's own pages (statements by occasion, speakers, days, search, sources and outbox)."""
