"""The seed data, shipped inside the package and read through ``importlib.resources``: the
user's seed article, the source registry, the speaker gazetteer, the topic lexicon, the offline
news archive and the labelled dev set."""
