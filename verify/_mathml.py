r"""LaTeX of the derivations typeset for a web page: math as MathML (by latex2mathml), and the export's
text (titles, assumptions, notes: text with ``$...$`` math inside) as HTML.

Never is raw LaTeX put on a page: latex2mathml passes a command it does not know through as text
(``<mi>\foo</mi>``), and a text-mode command this module does not know stays a backslash; both
raise :class:`UntypesetLatex` (a bug in bnreg: a formula the export prints that the page cannot
show), so the page is not written.
"""

from __future__ import annotations

import html
import re
import unicodedata

from latex2mathml.converter import convert

_NAMESPACE = ' xmlns="http://www.w3.org/1998/Math/MathML"'
_LEFT_AS_TEXT = re.compile(r">[^<]*\\[^<]*<")
_INLINE_MATH = re.compile(r"\$([^$]+)\$")
_TEXTTT = re.compile(r"\\texttt\{([^{}]*)\}")
_ACUTE = re.compile(r"\\'\{?([A-Za-z])\}?")


class UntypesetLatex(RuntimeError):
    """A piece of LaTeX that would reach the page as source."""


def mathml(latex: str, *, display: bool = False) -> str:
    """``latex`` (math mode) as a ``<math>`` element; ``display`` sets it as a block."""
    markup = convert(latex, display="block" if display else "inline").replace(_NAMESPACE, "", 1)
    left = _LEFT_AS_TEXT.search(markup)
    if left:
        raise UntypesetLatex(f"latex2mathml leaves {left.group(0)[1:-1]!r} of {latex!r} as text")
    return markup


def _text_mode(text: str) -> str:
    """LaTeX text (no math) as escaped HTML: en dashes, ties, control spaces, acute accents, \\texttt."""
    text = _ACUTE.sub(lambda m: unicodedata.normalize("NFC", m.group(1) + "\u0301"), text)
    text = text.replace("--", "–").replace("~", "\u00a0").replace("\\ ", " ")
    parts = _TEXTTT.split(text)  # even indices: text, odd: the argument of a \texttt
    out = [html.escape(p) if i % 2 == 0 else f"<code>{html.escape(p)}</code>" for i, p in enumerate(parts)]
    joined = "".join(out)
    if "\\" in joined or "{" in joined or "}" in joined:
        raise UntypesetLatex(f"LaTeX text the page cannot typeset: {text!r}")
    return joined


def latex_text(text: str) -> str:
    """LaTeX text with ``$...$`` math inside (a formula's title, assumptions, note) as HTML."""
    pieces = _INLINE_MATH.split(text)  # even indices: text, odd: math
    return "".join(mathml(p) if i % 2 else _text_mode(p) for i, p in enumerate(pieces))
