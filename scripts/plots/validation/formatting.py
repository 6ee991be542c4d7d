"""Numbers as the report shows them, in the page and in the figures alike.

One rule for the notation: plain for magnitudes in [1e-3, 1e5) and for zero,
scientific outside, e.g. "(6.146 ± 0.012)×10¹²" with the uncertainty written
in the value's exponent. With an uncertainty, it keeps ERROR_DIGITS
significant digits and the value is rounded at the same decimal place.

The result is plain Unicode text (the exponent in superscript digits): the
page escapes it like any other text and matplotlib draws it as it is.
"""
import math
from decimal import ROUND_HALF_EVEN, Decimal

SCIENTIFIC_BELOW = 1e-3
SCIENTIFIC_FROM = 1e5
ERROR_DIGITS = 2
# An uncertainty that would need more digits of the value than this is far below
# the value's precision (e.g. 6146378982980.49121 ± 0.00080): the two are then
# written each with its own digits and exponent.
MAX_DIGITS = 8
NOT_AVAILABLE = "n/a"

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def times_ten_to(exponent):
    """'×10¹²' for 12, '×10⁻⁴' for -4."""
    return "×10" + str(exponent).translate(_SUPERSCRIPT)


def is_scientific(magnitude):
    """Whether a non-negative magnitude is written in scientific notation."""
    return magnitude != 0 and not SCIENTIFIC_BELOW <= magnitude < SCIENTIFIC_FROM


def format_value(value, error=None, digits=3, sign=False):
    """'value ± error' as text; the value alone when there is no usable error.

    value, error: numbers or None. An error that is None, zero, negative or not
    finite counts as absent. Without an error the value keeps `digits`
    significant digits (and every digit before the decimal point). `sign`
    writes a '+' before positive values (relative differences). None and NaN
    give 'n/a'; infinities '∞' and '-∞'. The notation is decided by the larger
    of |value| and the error, so a value compatible with zero takes the
    error's scale ('0.000 ± 0.050', not an exponent of its own).
    """
    if value is None or math.isnan(value):
        return NOT_AVAILABLE
    if math.isinf(value):
        return "-∞" if value < 0 else ("+∞" if sign else "∞")
    if error is None or not math.isfinite(error) or error <= 0:
        return _value_alone(float(value), digits, sign)
    last = _last_digit_place(float(error))
    top = math.floor(math.log10(max(abs(value), error)))
    if top - last + 1 > MAX_DIGITS:
        return f"{_value_alone(float(value), digits, sign)} ± {_value_alone(float(error), ERROR_DIGITS, False)}"
    shown_value = _round_at(value, last)
    shown_error = _round_at(error, last)
    if shown_value.is_zero():
        shown_value = shown_value.copy_abs()  # no '-0.00'
    magnitude = max(shown_value.copy_abs(), shown_error)
    exponent = magnitude.adjusted() if is_scientific(float(magnitude)) else 0
    decimals = max(0, exponent - last)
    plus = "+" if sign else ""
    text = f"{shown_value.scaleb(-exponent):{plus}.{decimals}f} ± {shown_error.scaleb(-exponent):.{decimals}f}"
    return f"({text}){times_ten_to(exponent)}" if exponent else text


def format_percent(fraction, error=None, digits=3, sign=False):
    """format_value of 100 × fraction (and error), or 'n/a'; the caller adds the '%'."""
    return format_value(None if fraction is None else 100.0 * fraction,
                        None if error is None else 100.0 * error, digits, sign)


def _value_alone(value, digits, sign):
    plus = "+" if sign else ""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if not is_scientific(magnitude):
        # Below 1 keep `digits` significant digits; above, every digit before the point.
        significant = digits if magnitude < 1 else max(digits, math.floor(math.log10(magnitude)) + 1)
        text = f"{value:{plus}.{significant}g}"
        if "e" not in text:
            return text
        # Rounding carried it to 1e5 (99999.7): written like the values there.
    mantissa, exponent = f"{value:{plus}.{digits - 1}e}".split("e")
    return mantissa + times_ten_to(int(exponent))


def _last_digit_place(error):
    """Power of ten of the last digit kept when `error` keeps ERROR_DIGITS significant digits."""
    place = math.floor(math.log10(error)) - (ERROR_DIGITS - 1)
    if _round_at(error, place) >= Decimal(10) ** (place + ERROR_DIGITS):
        place += 1  # 0.0996 rounds to 0.10: one digit fewer after the point
    return place


def _round_at(value, place):
    """`value` as a Decimal rounded to a multiple of 10**place."""
    return Decimal(str(float(value))).quantize(Decimal(1).scaleb(place), rounding=ROUND_HALF_EVEN)
