"""formatting.format_value: 'value ± uncertainty' with one rule for scientific notation."""
import math
import re

import pytest

from validation.formatting import format_percent, format_value, times_ten_to

NAN = float("nan")
INF = float("inf")


@pytest.mark.parametrize("value, error, expected", [
    # Plain notation in [1e-3, 1e5): the error keeps 2 significant digits, the value its decimal place.
    (1.2345, 0.0123, "1.234 ± 0.012"),
    (2.0968, 0.0025, "2.0968 ± 0.0025"),
    (0.39, 0.37, "0.39 ± 0.37"),
    (7118.2, 2175.3, "7100 ± 2200"),  # an error of 2200 does not support the units digit
    (12346.0, 230.0, "12350 ± 230"),
    (1.2345, 0.0996, "1.23 ± 0.10"),  # 0.0996 rounds up to 0.10: two digits after the point, not three
    # Negative values.
    (-1.2345, 0.0123, "-1.234 ± 0.012"),
    (-287.0, 176.0, "-290 ± 180"),
    # Scientific from 1e5 and below 1e-3, the error in the value's exponent.
    (123456.0, 2300.0, "(1.235 ± 0.023)×10⁵"),
    (1.0558293639128668e19, 2.06042594346074e17, "(1.056 ± 0.021)×10¹⁹"),
    (-2.5e7, 3.1e5, "(-2.500 ± 0.031)×10⁷"),
    (1.5e-5, 2.3e-7, "(1.500 ± 0.023)×10⁻⁵"),
    (99999.0, 1.0, "99999.0 ± 1.0"),
    (100000.0, 1000.0, "(1.000 ± 0.010)×10⁵"),
    # Uncertainty larger than the value: the notation follows the error's scale, no '-0'.
    (1e-5, 0.05, "0.000 ± 0.050"),
    (-1e-4, 0.05, "0.000 ± 0.050"),
    (3.0, 250.0, "0 ± 250"),
    (2e-6, 3e-4, "(0.0 ± 3.0)×10⁻⁴"),
    (0.0, 0.05, "0.000 ± 0.050"),
])
def test_value_with_error(value, error, expected):
    assert format_value(value, error) == expected


def test_untrained_generator_kernel_distance_is_not_written_out_in_full():
    # Was '6146378982980.49121 ± 0.00080': 18 digits, the error far below the value's precision.
    text = format_value(6146378982980.49121, 0.00080)
    assert text == "6.15×10¹² ± 8.0×10⁻⁴"
    assert format_value(6146378982980.49121, 0.00080, digits=4) == "6.146×10¹² ± 8.0×10⁻⁴"


@pytest.mark.parametrize("value, digits, expected", [
    (0.0, 3, "0"),
    (-0.0, 3, "0"),
    (0.5, 3, "0.5"),
    (0.0123456, 3, "0.0123"),
    (12.345, 3, "12.3"),
    (12345.6, 3, "12346"),  # digits before the point are never dropped
    (-12.345, 3, "-12.3"),
    (0.001, 3, "0.001"),
    (0.00099, 3, "9.90×10⁻⁴"),
    (1.5e-5, 3, "1.50×10⁻⁵"),
    (2.9e17, 3, "2.90×10¹⁷"),
    (-2.9e17, 2, "-2.9×10¹⁷"),
    (99999.7, 3, "1.00×10⁵"),  # rounds up to 1e5: written like the values there
    (123.456, 2, "123"),
])
def test_value_alone(value, digits, expected):
    assert format_value(value, digits=digits) == expected


@pytest.mark.parametrize("error", [None, 0.0, -0.5, NAN, INF])
def test_unusable_error_gives_the_value_alone(error):
    assert format_value(1.2345, error) == "1.23"


@pytest.mark.parametrize("value, expected", [(None, "n/a"), (NAN, "n/a"), (INF, "∞"), (-INF, "-∞")])
def test_missing_and_infinite_values(value, expected):
    assert format_value(value) == expected
    assert format_value(value, 0.1) == expected


def test_sign():
    assert format_value(0.0123, sign=True) == "+0.0123"
    assert format_value(-0.0512, sign=True) == "-0.0512"
    assert format_value(1.5, 0.25, sign=True) == "+1.50 ± 0.25"
    assert format_value(2.5e6, 1.2e4, sign=True) == "(+2.500 ± 0.012)×10⁶"
    assert format_value(INF, sign=True) == "+∞"


def test_percent():
    assert format_percent(0.01547, 0.00062) == "1.547 ± 0.062"
    assert format_percent(0.00474, sign=True) == "+0.474"
    assert format_percent(None) == "n/a"


def test_times_ten_to():
    assert times_ten_to(12) == "×10¹²"
    assert times_ten_to(-4) == "×10⁻⁴"
    assert times_ten_to(0) == "×10⁰"


SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
PATTERN = re.compile(r"^\(?(?P<value>[-+]?[0-9.]+) ± (?P<error>[0-9.]+)\)?(?:×10(?P<exp>[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+))?$")


def parse(text):
    """(value, error, exponent, decimals) of a 'value ± error' text in one exponent."""
    match = PATTERN.match(text)
    assert match, text
    exponent = int(match["exp"].translate(SUPERSCRIPT)) if match["exp"] else 0
    scale = 10.0 ** exponent
    decimals = len(match["value"].partition(".")[2])
    assert len(match["error"].partition(".")[2]) == decimals, f"value and error rounded differently: {text}"
    return float(match["value"]) * scale, float(match["error"]) * scale, exponent, decimals


@pytest.mark.parametrize("magnitude", [1e-9, 3e-6, 7e-4, 0.02, 1.0, 45.0, 8e3, 6e4, 2e5, 3e9, 5e14])
@pytest.mark.parametrize("relative_error", [1e-5, 0.003, 0.04, 0.5, 3.0])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_round_trip(magnitude, relative_error, sign):
    """Reading the text back gives the value within half its last digit and the error to 2 significant digits."""
    value = sign * magnitude * 1.2345678
    error = magnitude * relative_error * 1.87654
    text = format_value(value, error)
    shown_value, shown_error, exponent, decimals = parse(text)
    assert shown_error == pytest.approx(error, rel=0.05), text
    # Two significant digits of the error set the value's last digit.
    last_digit = 10.0 ** (math.floor(math.log10(shown_error) + 1e-9) - 1)
    if decimals > 0:
        assert 10.0 ** (exponent - decimals) == pytest.approx(last_digit), text
    else:
        assert shown_value / last_digit == pytest.approx(round(shown_value / last_digit)), text
    assert abs(shown_value - value) <= 0.5 * last_digit * (1 + 1e-9), text
    # One rule for the notation, decided by the larger of |value| and error.
    size = max(abs(shown_value), shown_error)
    assert (exponent != 0) == (not 1e-3 <= size < 1e5), text
