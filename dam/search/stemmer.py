"""Snowball Spanish for accent-folded words, plus a light plural and gender normaliser.

Both engines index the stems this module makes (see analysis.py), so they agree token for token.
Words arrive lower-cased and folded ("inauguración" → "inauguracion"; ñ is spelled "nh").

Snowball lists its suffixes with accents. Folding every list wholesale (the old way) turned verb
endings such as "ió" and "erá" into "io" and "era", which are also ordinary noun endings: "predio"
lost "io" while "predios" kept it, and "carrera" fell to "carr" beside "carros". Here only the
noun-forming step 1 takes folded suffixes ("acion", "ucion", "logia": unambiguous), with its
special cases applied to the folded forms too; the verb steps keep the endings that are spelled
without accents anyway. What Snowball still leaves apart — "mujer"/"mujeres" (the singular loses
"er" as an infinitive ending), "año"/"años" (too short for the residual step) — the normaliser
joins: consonant-final plurals lose "es" before stemming; a final vowel or vowel+s that the
regions kept is dropped after it.
"""

from __future__ import annotations

import functools

VOWELS = frozenset("aeiou")

_STEP0 = ("selas", "selos", "sela", "selo", "las", "les", "los", "nos", "me", "se", "la", "le",
          "lo")
_STEP0_BEFORE = ("iendo", "ando", "ar", "er", "ir")
_STEP1_R2 = ("amientos", "imientos", "amiento", "imiento", "anzas", "ismos", "ables", "ibles",
             "istas", "anza", "icos", "icas", "ismo", "able", "ible", "ista", "osos", "osas",
             "ico", "ica", "oso", "osa")
_STEP1_IC = ("aciones", "adoras", "adores", "ancias", "acion", "adora", "antes", "ancia",
             "ador", "ante")
_STEP1_REPLACE = (("logias", "log"), ("logia", "log"), ("uciones", "u"), ("ucion", "u"),
                  ("encias", "ente"), ("encia", "ente"))
_STEP2A = ("yeron", "yendo", "yamos", "yais", "yan", "yen", "yas", "yes", "ya", "ye", "yo")
_STEP2B_GU = ("emos", "en", "es")
_STEP2B = tuple(sorted((
    "aran", "aras", "aremos", "ara", "eremos", "iremos", "aba", "ada", "ida", "ad", "ed",
    "id", "ase", "iese", "aste", "iste", "an", "aban", "ieran", "asen", "iesen", "aron", "ieron",
    "ado", "ido", "ando", "iendo", "ar", "er", "ir", "as", "abas", "adas", "idas",
    "ases", "ieses", "abais", "arais", "aseis", "ieseis", "asteis", "isteis", "ados",
    "idos",
), key=len, reverse=True))
# Left out on purpose: the folded forms of accented endings that are also noun endings ("ío",
# "ía", "ías", "erá", "erás", "aría", "éis", "í", "ís"...: "predio", "carrera", "secretaria");
# "iera(s)", which ends "ingeniera" and "financiera"; "amos", "imos", which end nouns
# ("préstamos", "primos") more often than verbs in the first person plural in press texts.
_PLURAL_CONSONANTS = frozenset("rldnjy")


def _regions(word: str) -> tuple[int, int, int]:
    """Start of RV, R1 and R2 (Snowball's definitions)."""
    r1 = r2 = len(word)
    for i in range(1, len(word)):
        if word[i] not in VOWELS and word[i - 1] in VOWELS:
            r1 = i + 1
            break
    for i in range(r1 + 1, len(word)):
        if word[i] not in VOWELS and word[i - 1] in VOWELS:
            r2 = i + 1
            break
    rv = len(word)
    if len(word) >= 2:
        if word[1] not in VOWELS:
            rv = next((i + 1 for i in range(2, len(word)) if word[i] in VOWELS), len(word))
        elif word[0] in VOWELS:
            rv = next((i + 1 for i in range(2, len(word)) if word[i] not in VOWELS), len(word))
        else:
            rv = 3
    return rv, r1, r2


def _ends(word: str, suffixes: tuple[str, ...]) -> str:
    return next((s for s in suffixes if word.endswith(s)), "")


def _step0(word: str, rv: int) -> str:
    pronoun = _ends(word, _STEP0)
    if not pronoun or len(word) - len(pronoun) < rv:
        return word
    rest = word[: -len(pronoun)]
    if pronoun == "nos" and rest.endswith("er"):  # "gobiernos", "cuadernos", not "hacernos"
        return word
    before = _ends(rest, _STEP0_BEFORE)
    if before and len(rest) - len(before) >= rv:
        return rest
    if rest.endswith("yendo") and rest[:-5].endswith("u") and len(rest) - 5 >= rv:
        return rest
    return word


def _step1(word: str, r1: int, r2: int) -> str:
    """Noun and adjective suffixes; returns the word unchanged when none applies."""
    n = len(word)
    if (s := _ends(word, ("amente",))) and n - len(s) >= r1:
        word = word[: -len(s)]
        for tail in ("iv", "os", "ic", "ad"):
            if word.endswith(tail) and len(word) - 2 >= r2:
                word = word[:-2]
                if tail == "iv" and word.endswith("at") and len(word) - 2 >= r2:
                    word = word[:-2]
                break
        return word
    for suffixes, tails in ((_STEP1_IC, ("ic",)), (_STEP1_R2, ())):
        if (s := _ends(word, suffixes)) and n - len(s) >= r2:
            word = word[: -len(s)]
            for tail in tails:
                if word.endswith(tail) and len(word) - len(tail) >= r2:
                    word = word[: -len(tail)]
            return word
    for suffix, replacement in _STEP1_REPLACE:
        if word.endswith(suffix) and n - len(suffix) >= r2:
            return word[: -len(suffix)] + replacement
    if (s := _ends(word, ("mente",))) and n - len(s) >= r2:
        word = word[: -len(s)]
        tail = _ends(word, ("ante", "able", "ible"))
        return word[: -len(tail)] if tail and len(word) - len(tail) >= r2 else word
    if (s := _ends(word, ("idades", "idad"))) and n - len(s) >= r2:
        word = word[: -len(s)]
        tail = _ends(word, ("abil", "ic", "iv"))
        return word[: -len(tail)] if tail and len(word) - len(tail) >= r2 else word
    if (s := _ends(word, ("ivas", "ivos", "iva", "ivo"))) and n - len(s) >= r2:
        word = word[: -len(s)]
        return word[:-2] if word.endswith("at") and len(word) - 2 >= r2 else word
    return word


def _step2(word: str, rv: int) -> str:
    s = _ends(word, _STEP2A)
    if s and len(word) - len(s) >= rv and word[: -len(s)].endswith("u"):
        return word[: -len(s)]
    s = _ends(word, _STEP2B_GU)
    long_s = _ends(word, _STEP2B)
    if long_s and len(long_s) > len(s) and len(word) - len(long_s) >= rv:
        return word[: -len(long_s)]
    if s and len(word) - len(s) >= rv:
        word = word[: -len(s)]
        return word[:-1] if word.endswith("gu") and len(word) - 1 >= rv else word
    if long_s and len(word) - len(long_s) >= rv:
        return word[: -len(long_s)]
    return word


def _residual(word: str, rv: int) -> str:
    s = _ends(word, ("os", "a", "o"))
    if s and len(word) - len(s) >= rv:
        return word[: -len(s)]
    if word.endswith("e") and len(word) - 1 >= rv:
        word = word[:-1]
        if word.endswith("gu") and len(word) - 1 >= rv:
            word = word[:-1]
    return word


def singular(word: str) -> str:
    """A consonant-final noun's plural made singular ("mujeres" → "mujer", "leyes" → "ley")."""
    if len(word) >= 5 and word.endswith("es") and word[-3] in _PLURAL_CONSONANTS \
            and word[-4] in VOWELS:
        return word[:-2]
    return word


@functools.lru_cache(maxsize=131072)
def stem_folded(word: str) -> str:
    """The stem of one lower-case, accent-folded word."""
    if len(word) < 3 or not word.isalpha():
        return word
    word = singular(word)
    rv, r1, r2 = _regions(word)
    word = _step0(word, rv)
    stemmed = _step1(word, r1, r2)
    if stemmed == word:
        stemmed = _step2(word, rv)
    stemmed = _residual(stemmed, rv)
    return _final(stemmed)


def _final(stemmed: str) -> str:
    """What the regions and single residual step leave apart: "año"/"años", "línea"/"líneas".

    A final -o/-a(s) or -e that the regions kept is dropped; "taxis" loses its s; z is spelled c
    ("luz" and "luces" both "luc", as "cruce" and "cruces").
    """
    if len(stemmed) >= 4 and stemmed[-1] == "s" and stemmed[-2] in "iu" \
            and stemmed[-3] not in VOWELS:
        stemmed = stemmed[:-1]
    for ending in ("os", "as", "o", "a", "e"):
        if stemmed.endswith(ending) and len(stemmed) - len(ending) >= 2:
            stemmed = stemmed[: -len(ending)]
            break
    return stemmed[:-1] + "c" if stemmed.endswith("z") else stemmed
