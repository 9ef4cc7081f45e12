"""Put back the diacritics of a query typed without them ("Có phải bạn muốn tìm …").

    >>> model = AccentModel()
    >>> for text in corpus_texts:          # titles, summaries, bodies  # doctest: +SKIP
    ...     model.add_text(text)
    >>> model.restore("luan chuyen can bo Ha Noi")  # doctest: +SKIP
    'luân chuyển cán bộ Hà Nội'
    >>> model.suggest("luân chuyển cán bộ") is None    # nothing to add  # doctest: +SKIP
    True

Everything is learned from the corpus's own accented text, never from a hand
list. One module per piece, each using only the ones before it:

* ``tokens.py``: a word is a run of letters/digits; punctuation and line
  breaks end an n-gram context; every number is one token ``<num>``, so
  ``ngày 1/4/1975`` and ``ngày 30/4`` teach the same thing;
* ``counts.py``: uni-, bi- and trigram counts over accented lowercase
  syllables, packed into sorted ``int64`` codes (three 21-bit word ids) so
  that tens of millions of them live in numpy arrays rather than Python dicts;
* ``language.py``: interpolated absolute discounting over those counts;
* ``decoder.py``: each typed syllable may be any accented syllable that folds
  to it (``can`` → cán, cần, căn, cạn, …); a Viterbi search picks the most
  likely sentence. How often a syllable is written with a capital inside
  a sentence is a second clue (``Ha`` → Hà, not hạ), used only when the user's
  own capitals show that they capitalise names;
* ``model_file.py``: the ``.npz`` file an index keeps beside its segments;
* ``model.py``: :class:`AccentModel`, training, merging, storage and the
  public calls.
"""

from vn_search.accents.model import AccentModel

__all__ = ["AccentModel"]
