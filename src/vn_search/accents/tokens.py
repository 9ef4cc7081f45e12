"""How training text and queries become words for the accent model.

Training and decoding must cut text the same way, or the counts would
describe other words than the ones a query asks about; the case a word is
typed in is a clue on the way in and must be given back on the way out.
Here are both: the token patterns, the reserved word ids, the case classes
and the folded form of a stored word.
"""

from __future__ import annotations

import re
from typing import Callable

from vn_search.analysis.fold import fold_text

# Words, single punctuation marks, underscores and line breaks. Everything that
# is not a word ends the n-gram context (runs of such breaks count once).
TRAIN_TOKEN = re.compile(r"[^\W_]+|[^\w\s]|_|\n")
WORD = re.compile(r"[^\W_]+")

# Reserved word ids: SEP between two contexts (it starts and ends each piece
# of a sentence), NUM for any token holding a digit, UNK for an unseen word.
SEP, NUM, UNK = 0, 1, 2
RESERVED = ("<sep>", "<num>", "<unk>")

# Case of a token as typed. Only lower vs. Capitalised *inside* a sentence
# piece is a clue; ALL-CAPS (UBND, headlines shouted) says nothing.
LOWER, CAPITAL, OTHER_CASE = 0, 1, 2


def case_class(token: str) -> int:
    """Lower, Capitalised or other, as typed.

    >>> [case_class(t) for t in ("hà", "Hà", "HÀ", "iPhone")]
    [0, 1, 2, 2]
    """
    if token.islower():
        return LOWER
    if token[0].isupper() and (len(token) == 1 or token[1:].islower()):
        return CAPITAL
    return OTHER_CASE


def apply_case(typed: str, restored: str) -> str:
    """Give ``restored`` the case the user typed, letter by letter.

    >>> apply_case("Ha", "hà"), apply_case("CAN", "cán"), apply_case("iPhone", "iphone")
    ('Hà', 'CÁN', 'iPhone')
    """
    if typed.islower():
        return restored
    if len(typed) != len(restored):  # folding changed the length: not Vietnamese
        return restored.upper() if typed.isupper() else restored.capitalize()
    return "".join(r.upper() if t.isupper() else r for t, r in zip(typed, restored))


class TokenCodes(dict):
    """Raw training token → ``word id << 2 | case class``, worked out once per
    distinct token: a corpus has tens of millions of tokens but only some
    hundred thousand distinct ones, so training costs one dict lookup each.

    ``word_id`` numbers a lowercase word (adding it when new).

    >>> vocabulary = {}
    >>> codes = TokenCodes(lambda word: vocabulary.setdefault(word, len(RESERVED) + len(vocabulary)))
    >>> [codes[t] for t in ("Hà", "hà", ",", "1975")]   # id 3, Capital / lower; SEP; NUM
    [13, 12, 0, 4]
    """

    def __init__(self, word_id: Callable[[str], int]) -> None:
        super().__init__()
        self._word_id = word_id

    def __missing__(self, token: str) -> int:
        if not token[0].isalnum():
            code = SEP << 2
        elif not token.isalpha():
            code = NUM << 2
        else:
            code = self._word_id(token.lower()) << 2 | case_class(token)
        self[token] = code
        return code


def folded_word(word: str) -> str:
    """``fold_text`` of a stored word, skipping the call for plain ASCII."""
    return word if word.isascii() else fold_text(word)  # stored words are lowercase
