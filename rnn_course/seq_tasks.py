"""Sequence-to-sequence tasks with inputs and outputs of different lengths, generated in NumPy.

Two tasks, each a list of (source string, target string) pairs drawn with a seeded generator:

- **dates**: a date written the way people write it ("the 3rd of March 2021", "3/3/21",
  "March 3, 2021", ...) and its ISO form "2021-03-03". Numeric forms put the day first, as in
  Britain ("3/4/21" is the 3rd of April); two-digit years mean 1950-2049.
- **reversal**: a string of random letters and the same letters backwards.

Tokens are characters. A :class:`Vocab` numbers them after three special ids: PAD (0, the
filler after a short sequence ends), BOS (1, what the decoder reads first) and EOS (2, the
token that ends an output). :func:`pad_batch` turns a list of id sequences into a time-major
(T, B) array and the (T, B) mask of its real tokens.
"""

from __future__ import annotations

import datetime

import numpy as np

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<bos>", "<eos>")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
FIRST_DAY, LAST_DAY = datetime.date(1950, 1, 1).toordinal(), datetime.date(2049, 12, 31).toordinal()


def _ordinal(day: int) -> str:
    if day in (11, 12, 13):
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


#: The ways a date is written, each a function of a datetime.date.
DATE_FORMATS = {
    "the Dth of Month YYYY": lambda d: f"the {_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    "D/M/YY": lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}",
    "Month D, YYYY": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "D Mon YYYY": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    "DD.MM.YYYY": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "Dth month YY": lambda d: f"{_ordinal(d.day)} {MONTHS[d.month - 1].lower()} {d.year % 100:02d}",
}


class Vocab:
    """Characters <-> ids, after PAD, BOS and EOS."""

    def __init__(self, symbols):
        self.symbols = list(SPECIALS) + sorted(set(symbols))
        self.index = {s: i for i, s in enumerate(self.symbols)}

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, text: str) -> list[int]:
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}.")
        return [self.index[ch] for ch in text]

    def decode(self, ids) -> str:
        """The text up to the first EOS, padding and BOS left out."""
        out = []
        for i in np.asarray(ids).tolist():
            if i == EOS:
                break
            if i >= len(SPECIALS):
                out.append(self.symbols[i])
        return "".join(out)


DATE_SOURCE = Vocab("".join(MONTHS).lower() + "".join(MONTHS) + "0123456789 /,.thndrs")
DATE_TARGET = Vocab("0123456789-")
LETTERS = "abcdefghijklmnopqrst"
REVERSAL = Vocab(LETTERS)


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def dates(n: int, rng=None, formats=None) -> list[tuple[str, str]]:
    """``n`` pairs (a date as people write it, its ISO form), dates uniform in 1950-2049, formats uniform."""
    rng = _rng(rng)
    names = list(DATE_FORMATS) if formats is None else list(formats)
    unknown = [f for f in names if f not in DATE_FORMATS]
    if unknown:
        raise ValueError(f"unknown date format {unknown[0]!r}; known: {', '.join(DATE_FORMATS)}.")
    days = rng.integers(FIRST_DAY, LAST_DAY + 1, n)
    which = rng.integers(0, len(names), n)
    pairs = []
    for day, k in zip(days.tolist(), which.tolist()):
        d = datetime.date.fromordinal(day)
        pairs.append((DATE_FORMATS[names[k]](d), d.isoformat()))
    return pairs


def reversal(n: int, rng=None, *, min_length: int = 4, max_length: int = 12) -> list[tuple[str, str]]:
    """``n`` pairs (random letters, the same letters reversed), lengths uniform in [min_length, max_length]."""
    if not 1 <= min_length <= max_length:
        raise ValueError(f"need 1 <= min_length <= max_length; got {min_length} and {max_length}.")
    rng = _rng(rng)
    lengths = rng.integers(min_length, max_length + 1, n)
    letters = np.array(list(LETTERS))
    pairs = []
    for L in lengths.tolist():
        s = "".join(letters[rng.integers(0, len(LETTERS), L)])
        pairs.append((s, s[::-1]))
    return pairs


def pad_batch(sequences, pad: int = PAD):
    """A list of B id sequences -> ``(ids (T, B) int64, mask (T, B) bool)``, T the longest length,
    each sequence written from the top and the rest filled with ``pad``."""
    if len(sequences) == 0:
        raise ValueError("pad_batch needs at least one sequence.")
    lengths = [len(s) for s in sequences]
    if min(lengths) == 0:
        raise ValueError(f"sequence {lengths.index(0)} is empty; every sequence needs at least one token.")
    T, B = max(lengths), len(sequences)
    ids = np.full((T, B), pad, dtype=np.int64)
    for b, seq in enumerate(sequences):
        ids[:len(seq), b] = seq
    return ids, np.arange(T)[:, None] < np.array(lengths)[None, :]


def encode_pairs(pairs, source: Vocab, target: Vocab) -> dict:
    """Pairs of strings -> the arrays a seq2seq model trains on, all (time, batch):

    ``src``, ``src_mask``: the source ids and their mask; ``tgt_in``: BOS then the target (what the
    decoder reads under teacher forcing); ``tgt_out``: the target then EOS (what it must predict);
    ``tgt_mask``: the real positions of ``tgt_out``.
    """
    src, src_mask = pad_batch([source.encode(s) for s, _ in pairs])
    targets = [target.encode(t) for _, t in pairs]
    tgt_in, _ = pad_batch([[BOS] + t for t in targets])
    tgt_out, tgt_mask = pad_batch([t + [EOS] for t in targets])
    return {"src": src, "src_mask": src_mask, "tgt_in": tgt_in, "tgt_out": tgt_out, "tgt_mask": tgt_mask}
