"""Cash-in forecast: when each open invoice's residual will come in, learnt from how each customer pays.

The model (docs/kpis.md, "Cash-in forecast"), in days late l = payment date - due date:
- every settlement event of the history is a unit of the invoice it settles (its share of amount_total):
  a *payment* (cash) or a *non-cash* settlement (credit note, write-off); the residual of an invoice
  still open at the origin is a unit *censored* at its age (unpaid through that day). Partial payments
  are thus counted as what they are: part of the invoice paid on that day;
- each unit is weighted by recency: its weight halves every HALF_LIFE days before the origin;
- per day late, the hazards of a payment and of a non-cash settlement among what is still unpaid
  (weighted Kaplan-Meier with two competing ends) are estimated for the portfolio, per class (disputed
  or not, each shrunk towards the whole portfolio) and per customer and class, shrunk towards its
  class: SHRINK pseudo-invoices of the portfolio's behaviour are added at every day, so a customer
  with a few invoices pays mostly like the portfolio and one with many like itself;
- where the history shows them (a significance test on the payment dates), weekday and month-end
  effects multiply the payment hazard of each calendar day;
- an invoice open at the origin, l0 days late, is paid on day l > l0 with the probability of
  surviving unpaid from l0 to l - 1 and paying at l: conditioned on what is already known about it.
What is not expected within the weeks is "later" (or never; non-cash settlements apart).

The band: each week's 10th and 90th percentiles (and the cumulative ones), normal approximation, never
below 0, from the variance of a sum of independent invoices plus the model's own error, measured on up
to CALIBRATION earlier month-ends whose outcome the history already holds, on a regular sample of at
most about CALIBRATION_CUSTOMERS customers (model_error). The backtest (forecast_backtest) replays the
model from rolling month-end origins of the history against what was actually paid. No I/O."""
from __future__ import annotations

import bisect
import datetime as dt
import math
from fractions import Fraction

from creditguard.rules.analytics.books import month_end, month_index
from creditguard.rules.analytics.figures import cents_half_up, money, ratio
from creditguard.rules.analytics.kpis import NO_HISTORY

WEEKS = 13
HORIZON = 7 * WEEKS
HALF_LIFE = 180          # days: an observation this much older than the origin counts half
SHRINK = 3.0             # pseudo-invoices of the wider behaviour added to a customer's (or class's)
Z = 1.2815515655446004   # the standard normal's 90th percentile: the band is P10-P90
CALIBRATION = 3         # earlier month-ends the model's own error is measured on
CALIBRATION_CUSTOMERS = 2000   # ... on every k-th customer, so that at most about this many are replayed
MIN_EVENTS = 50          # payment events needed before weekday and month-end effects are tested
WARM_UP_DAYS = 120       # backtest: history before the first origin
LAST_DAYS = 3            # the month-end effect: the last days of a month


class Hazard:
    """Weighted competing-risk hazards of one group of units over days late."""

    __slots__ = ("times", "risk", "pay", "other", "invoices")

    def __init__(self, units, invoices: int):
        """`units`: (day late, weight, end) with end "pay", "other" or None (censored)."""
        ends: dict = {}
        for late, weight, end in units:
            slot = ends.setdefault(late, [0.0, 0.0, 0.0])      # pay, other, censored
            slot[0 if end == "pay" else 1 if end == "other" else 2] += weight
        self.times = sorted(ends)
        self.pay = [ends[t][0] for t in self.times]
        self.other = [ends[t][1] for t in self.times]
        self.risk, left = [0.0] * len(self.times), 0.0
        for i in range(len(self.times) - 1, -1, -1):
            left += sum(ends[self.times[i]])
            self.risk[i] = left
        self.invoices = invoices

    def dense(self, lo: int, hi: int):
        """(at risk, paid, settled otherwise) for each day late from lo to hi, as three lists."""
        times, n = self.times, len(self.times)
        i = bisect.bisect_left(times, lo)
        risk, pay, other = [0.0] * (hi - lo + 1), [0.0] * (hi - lo + 1), [0.0] * (hi - lo + 1)
        for k in range(hi - lo + 1):
            late = lo + k
            while i < n and times[i] < late:
                i += 1
            if i == n:
                break
            risk[k] = self.risk[i]
            if times[i] == late:
                pay[k], other[k] = self.pay[i], self.other[i]
        return risk, pay, other


class Table:
    """Daily hazards (paid, settled otherwise) over days late lo..hi; 0 outside, where nothing is known."""

    __slots__ = ("lo", "pay", "other")

    def __init__(self, lo: int, pay: list, other: list):
        self.lo, self.pay, self.other = lo, pay, other

    def window(self, lo: int, hi: int):
        """The hazards from lo to hi, padded with 0 outside the table."""
        pay, other = [0.0] * (hi - lo + 1), [0.0] * (hi - lo + 1)
        start, end = max(lo, self.lo), min(hi, self.lo + len(self.pay) - 1)
        if start <= end:
            pay[start - lo:end - lo + 1] = self.pay[start - self.lo:end - self.lo + 1]
            other[start - lo:end - lo + 1] = self.other[start - self.lo:end - self.lo + 1]
        return pay, other

    @classmethod
    def raw(cls, hazard: Hazard, lo: int, hi: int) -> "Table":
        risk, pay, other = hazard.dense(lo, hi)
        return cls(lo, [p / r if r > 0 else 0.0 for p, r in zip(pay, risk)],
                   [o / r if r > 0 else 0.0 for o, r in zip(other, risk)])

    @classmethod
    def blend(cls, hazard: Hazard | None, wide: "Table", lo: int, hi: int) -> "Table":
        """`hazard` shrunk towards `wide`: (paid + SHRINK × wide) / (at risk + SHRINK), day by day."""
        wide_pay, wide_other = wide.window(lo, hi)
        if hazard is None:
            return cls(lo, wide_pay, wide_other)
        risk, pay, other = hazard.dense(lo, hi)
        return cls(lo, [(p + SHRINK * w) / (r + SHRINK) for p, w, r in zip(pay, wide_pay, risk)],
                   [(o + SHRINK * w) / (r + SHRINK) for o, w, r in zip(other, wide_other, risk)])


def as_at(history, origin: int):
    """One invoice's history as known at `origin`: (events up to it, residual then), or None when the
    invoice was not issued yet or was already settled."""
    issued, due, total, disputed, events, _ = history
    if issued > origin:
        return None
    known = [e for e in events if e[0] <= origin]
    return known, total - sum(cents for _, cents, _ in known)


def units_of(history, origin: int, lookback: int):
    """The units one invoice contributes to the learning at `origin` (see the module's docstring)."""
    issued, due, total, disputed, events, _ = history
    if issued > origin or total <= 0:
        return []
    units, paid = [], 0
    for day, cents, cash in events:
        if day <= origin:
            paid += cents
            if day > origin - lookback:
                units.append((day - due, cents / total * 0.5 ** ((origin - day) / HALF_LIFE),
                              "pay" if cash else "other"))
    if total - paid > 0:
        units.append((origin - due, (total - paid) / total, None))
    return units


def calendar(days: list[tuple[int, float]]):
    """Weekday and month-end factors on the payment hazard, where the history shows such effects:
    ({weekday: factor} or None, (factor on the last LAST_DAYS days, factor elsewhere) or None)."""
    if len(days) < MIN_EVENTS:
        return None, None
    n = len(days)
    counts = [0] * 7
    month_end_count = 0
    for day, _ in days:
        date = dt.date.fromordinal(day)
        counts[date.weekday()] += 1
        if (date + dt.timedelta(days=LAST_DAYS)).month != date.month:
            month_end_count += 1
    expected = n / 7
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    weekday = {d: 7 * c / n for d, c in enumerate(counts)} if chi2 > 22.46 else None     # p < 0.001, 6 df
    share, base = month_end_count / n, LAST_DAYS * 12 / 365.25
    z = (share - base) / math.sqrt(base * (1 - base) / n)
    month = (share / base, (1 - share) / (1 - base)) if abs(z) > 3.29 else None         # p < 0.001
    return weekday, month


class Model:
    """The payment behaviour learnt from `books`' history as known at `origin` (an ordinal)."""

    def __init__(self, books, origin: int):
        self.origin = origin
        lookback = books.lookback_days
        portfolio, classes = [], {False: [], True: []}
        counts = {False: 0, True: 0}
        self.own: dict = {}                        # (customer index, disputed) -> Hazard
        cash_days = []
        for c, book in enumerate(books.books):
            mine = {False: [], True: []}
            seen = {False: 0, True: 0}
            for h in book.history:
                units = units_of(h, origin, lookback)
                if not units:
                    continue
                disputed = h[3]
                mine[disputed] += units
                seen[disputed] += 1
                for day, cents, cash in h[4]:
                    if cash and origin - lookback < day <= origin:
                        cash_days.append((day, cents))
            for disputed in (False, True):
                if mine[disputed]:
                    self.own[c, disputed] = Hazard(mine[disputed], seen[disputed])
                    classes[disputed] += mine[disputed]
                    counts[disputed] += seen[disputed]
        for units in classes.values():
            portfolio += units
        self.learnt = counts[False] + counts[True]
        self.portfolio = None
        if portfolio:
            whole = Hazard(portfolio, self.learnt)
            self.lo, self.hi = whole.times[0], whole.times[-1]
            self.portfolio = Table.raw(whole, self.lo, self.hi)
            self.classes = {d: Table.blend(Hazard(classes[d], counts[d]) if classes[d] else None, self.portfolio,
                                           self.lo, self.hi) for d in (False, True)}
        weekday, month = calendar(cash_days)
        self.weekday, self.month_end = weekday, month
        self.factors = [self._factor(origin + step) for step in range(HORIZON + 1)]

    def basis(self, customer: int, disputed: bool) -> str:
        own = self.own.get((customer, disputed))
        if self.portfolio is None:
            return "due date"
        if own is None:
            return "portfolio"
        return "own history" if own.invoices >= SHRINK else "own history, shrunk to the portfolio"

    def _factor(self, day: int) -> float:
        factor = 1.0
        if self.weekday is not None or self.month_end is not None:
            date = dt.date.fromordinal(day)
            if self.weekday is not None:
                factor *= self.weekday[date.weekday()]
            if self.month_end is not None:
                last = (date + dt.timedelta(days=LAST_DAYS)).month != date.month
                factor *= self.month_end[0 if last else 1]
        return factor

    def table(self, customer: int, disputed: bool, lo: int, hi: int) -> Table:
        """The customer's daily hazards for this class over days late lo..hi (shrunk to its class)."""
        return Table.blend(self.own.get((customer, disputed)), self.classes[disputed], lo, hi)

    def spread(self, table: Table | None, due: int):
        """Probabilities that an invoice open at the origin is paid in each week (1..WEEKS), and of
        'later or never' and 'settled without cash' within the weeks."""
        weeks = [0.0] * WEEKS
        if table is None:                          # no history: the due date
            k = due_week(due, self.origin)
            if k is not None:
                weeks[k] = 1.0
            return weeks, 1.0 - sum(weeks), 0.0
        alive, other_total = 1.0, 0.0
        first = self.origin - due + 1 - table.lo          # index of day late (origin - due + 1)
        pays, others, factors = table.pay, table.other, self.factors
        for step in range(1, HORIZON + 1):
            i = first + step - 1
            pay, other = pays[i], others[i]
            if pay or other:
                pay = min(1.0, pay * factors[step])
                other = min(1.0 - pay, other)
                weeks[(step - 1) // 7] += alive * pay
                other_total += alive * other
                alive *= 1.0 - pay - other
                if alive <= 1e-12:
                    alive = 0.0
                    break
        return weeks, alive, other_total


def forecast_at(books, origin: int, items, held=frozenset()) -> dict:
    """Expected cash per week from `items` ((customer index, due, residual cents, disputed) open at
    `origin`) under the model learnt at `origin`, with the P10-P90 band per week and cumulative."""
    model = Model(books, origin)
    expected, later, other = [0.0] * WEEKS, 0.0, 0.0
    apart = {"disputed": 0.0, "held": 0.0}
    variance = [0.0] * WEEKS
    cum_variance = [0.0] * WEEKS
    basis: dict = {}
    by_customer: dict = {}
    for customer, due, residual, disputed in items:
        by_customer.setdefault(customer, []).append((due, residual, disputed))
    for customer, own_items in by_customer.items():
        tables: dict = {}                       # this customer's, per class: dropped after its invoices
        cache: dict = {}
        if model.portfolio is not None:
            for disputed in {d for _, _, d in own_items}:
                dues = [due for due, _, d in own_items if d == disputed]
                tables[disputed] = model.table(customer, disputed, origin - max(dues) + 1,
                                               origin - min(dues) + HORIZON)
        for due, residual, disputed in own_items:
            key = (due, disputed)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = model.spread(tables.get(disputed), due)
            weeks, late, settled_otherwise = hit
            later += residual * late
            other += residual * settled_otherwise
            cumulative = 0.0
            for k, p in enumerate(weeks):
                cumulative += p
                if p:
                    amount = residual * p
                    expected[k] += amount
                    if disputed:
                        apart["disputed"] += amount
                    if customer in held:
                        apart["held"] += amount
                    variance[k] += residual * residual * p * (1 - p)
                if cumulative:
                    cum_variance[k] += residual * residual * max(0.0, cumulative * (1 - cumulative))
        for disputed in {d for _, _, d in own_items}:
            name = model.basis(customer, disputed)
            basis[name] = basis.get(name, 0) + 1
    return {"expected": expected, "variance": variance, "cum_variance": cum_variance,
            "later": cents_half_up(later), "settled_otherwise": cents_half_up(other),
            "disputed_in_weeks": cents_half_up(apart["disputed"]), "held_in_weeks": cents_half_up(apart["held"]),
            "basis": basis, "model": model}


def model_error(books, origin: int, memo: dict | None = None) -> tuple[float | None, int]:
    """The model's own error, measured where it can be: from up to CALIBRATION earlier month-ends whose
    whole horizon lies before `origin`, the share of the squared weekly error beyond what independent
    invoices explain, relative to the forecast: (c², origins used); (None, 0) when there is none.
    `memo` keeps each earlier month-end's terms for the next call (the backtest's origins share them)."""
    candidates = [d for d in origins(books) if d + HORIZON <= origin][-CALIBRATION:]
    memo = {} if memo is None else memo
    excess, scale = 0.0, 0.0
    for past in candidates:
        if past not in memo:
            memo[past] = _error_terms(books, past)
        excess, scale = excess + memo[past][0], scale + memo[past][1]
    return (excess / scale if scale > 0 else None), len(candidates)


def _error_terms(books, past: int) -> tuple[float, float]:
    """At month-end `past`, on every k-th customer (at most about CALIBRATION_CUSTOMERS): Σ weeks of the
    squared error beyond the independent-invoice variance, and Σ of the squared forecast."""
    every = max(1, -(-len(books.books) // CALIBRATION_CUSTOMERS))
    items = [item for item in open_items(books, past) if item[0] % every == 0]
    if not items:
        return 0.0, 0.0
    result = forecast_at(books, past, items)
    excess, scale = 0.0, 0.0
    for f, v, a in zip(result["expected"], result["variance"], actual(books, past, every)):
        excess += max(0.0, (a - f) ** 2 - v)
        scale += f * f
    return excess, scale


def weeks_of(result, c2: float | None) -> list[dict]:
    """Each week's expected cash in cents, its P10-P90 band and the cumulative ones."""
    c2 = c2 or 0.0
    weeks, running, total = [], 0, 0.0
    for k, expected in enumerate(result["expected"]):
        week = cents_half_up(expected)
        running += week
        total += expected
        sd = math.sqrt(result["variance"][k] + c2 * expected * expected)
        cum_sd = math.sqrt(result["cum_variance"][k] + c2 * total * total)
        weeks.append({"expected": week, "low": cents_half_up(max(0.0, expected - Z * sd)),
                      "high": cents_half_up(expected + Z * sd), "cumulative": running,
                      "cumulative_low": cents_half_up(max(0.0, total - Z * cum_sd)),
                      "cumulative_high": cents_half_up(total + Z * cum_sd)})
    return weeks


def open_items(books, origin: int):
    """(customer index, due, residual at origin, disputed) of every invoice open at `origin`, from the
    history where the invoice has one (at the snapshot's as_of: its residual)."""
    items = []
    as_of = books.as_of.toordinal()
    for c, book in enumerate(books.books):
        if origin == as_of:
            items += [(c, due, residual, disputed) for due, residual, disputed in book.open_items]
            continue
        for h in book.history:
            known = as_at(h, origin)
            if known is not None and known[1] > 0:
                items.append((c, h[1], known[1], h[3]))
    return items


def _rows(origin: int, weeks) -> list[dict]:
    rows = []
    for k, w in enumerate(weeks):
        start = dt.date.fromordinal(origin + 7 * k + 1)
        rows.append({"week": k + 1, "start": start, "end": start + dt.timedelta(days=6),
                     **{name: money(value) for name, value in w.items()}})
    return rows


def forecast(books) -> dict:
    """The forecast from the snapshot's as_of. `books` read with keep_history="window"."""
    as_of = books.as_of.toordinal()
    held = frozenset(c for c, customer in enumerate(books.customers) if customer.on_hold)
    items = open_items(books, as_of)
    result = forecast_at(books, as_of, items, held)
    model = result.pop("model")
    c2, used = model_error(books, as_of)
    why = {}
    if not items:
        why["weeks"] = "nothing open at as_of: no invoice has a residual to collect"
    if model.portfolio is None:
        why["band"] = ("no payment history to learn from: each residual is placed on its due date and no band "
                       "is drawn; add each invoice's payments (snapshot contract 1.1)")
    weeks = _rows(as_of, weeks_of(result, c2))
    if "band" in why:
        for w in weeks:
            for name in ("low", "high", "cumulative_low", "cumulative_high"):
                w[name] = None
    return {"as_of": books.as_of, "currency": books.header.company.currency, "weeks": weeks,
            "open": money(sum(r for _, _, r, _ in items)),
            "later": money(result["later"]), "settled_otherwise": money(result["settled_otherwise"]),
            "disputed_in_weeks": money(result["disputed_in_weeks"]),
            "held_in_weeks": money(result["held_in_weeks"]),
            "customers_by_basis": result["basis"], "invoices_learnt": model.learnt,
            "effects": {"weekday": model.weekday is not None, "month_end": model.month_end is not None},
            "band_model_error": None if c2 is None else ratio(Fraction(math.sqrt(c2)), 1),
            "band_calibration_origins": used,
            "not_computed": why}


def due_week(due: int, origin: int) -> int | None:
    """The week (0-based) an invoice due on `due` is paid in if paid on its due date (one already due:
    the first), or None when that is after the weeks."""
    k = max(0, due - origin - 1) // 7
    return k if k < WEEKS else None


def naive(items, origin: int) -> list[int]:
    """The baseline: every residual paid on its due date."""
    weeks = [0] * WEEKS
    for _, due, residual, _ in items:
        k = due_week(due, origin)
        if k is not None:
            weeks[k] += residual
    return weeks


def actual(books, origin: int, every: int = 1) -> list[int]:
    """What was paid in cash in each week after `origin` on the invoices open at it (of every
    `every`-th customer)."""
    weeks = [0] * WEEKS
    for book in books.books[::every]:
        for h in book.history:
            if h[0] > origin:
                continue
            for day, cents, cash in h[4]:
                if cash and origin < day <= origin + HORIZON:
                    weeks[(day - origin - 1) // 7] += cents
    return weeks


def wape(forecast_weeks, actual_weeks) -> Fraction | None:
    """Σ |forecast − actual| ÷ Σ actual over the weeks, exactly; None when nothing was paid."""
    total = sum(actual_weeks)
    return Fraction(sum(abs(f - a) for f, a in zip(forecast_weeks, actual_weeks)), total) if total > 0 else None


def _rounded(value):
    return None if value is None else ratio(value, 1)


def origins(books) -> list[int]:
    """Month-ends with WARM_UP_DAYS of history before them and the whole horizon known after them."""
    if books.first_issued is None:
        return []
    first, last = books.first_issued + WARM_UP_DAYS, books.as_of.toordinal() - HORIZON
    month = month_index(dt.date.fromordinal(first))
    result = []
    while month_end(month).toordinal() <= last:
        if month_end(month).toordinal() >= first:
            result.append(month_end(month).toordinal())
        month += 1
    return result


def forecast_backtest(books) -> dict:
    """Replay the forecast from each rolling month-end origin: WAPE of the model and of the due-date
    baseline against what was paid, and how often each week's actual fell inside the band.
    `books` read with keep_history="all"."""
    rows, scored = [], []                      # scored: the exact (WAPE, baseline WAPE) of each origin
    hits = [[0, 0] for _ in range(WEEKS)]      # per week: inside the band, weeks tested
    memo: dict = {}                            # the calibration's terms per month-end, computed once
    for origin in origins(books):
        items = open_items(books, origin)
        if not items:
            continue
        result = forecast_at(books, origin, items)
        weeks = weeks_of(result, model_error(books, origin, memo)[0])
        got, base, paid = [w["expected"] for w in weeks], naive(items, origin), actual(books, origin)
        tested = [(k, w["low"] <= a <= w["high"]) for k, (w, a) in enumerate(zip(weeks, paid))
                  if w["expected"] or a]       # nothing forecast and nothing paid is no test of the band
        for k, ok in tested:
            hits[k][0] += ok
            hits[k][1] += 1
        error, error_naive = wape(got, paid), wape(base, paid)
        if error is not None:
            scored.append((error, error_naive))
        rows.append({"origin": dt.date.fromordinal(origin), "open": money(sum(r for _, _, r, _ in items)),
                     "paid_in_weeks": money(sum(paid)), "forecast": [money(w) for w in got],
                     "naive": [money(w) for w in base], "paid": [money(w) for w in paid],
                     "low": [money(w["low"]) for w in weeks], "high": [money(w["high"]) for w in weeks],
                     "wape": _rounded(error), "wape_naive": _rounded(error_naive),
                     "band_coverage": ratio(sum(ok for _, ok in tested), len(tested)) if tested else None})
    total, total_naive = sum(e for e, _ in scored), sum(e for _, e in scored)
    inside, counted = sum(a for a, _ in hits), sum(n for _, n in hits)
    summary = {"origins": len(rows),
               "wape": ratio(total, len(scored)) if scored else None,
               "wape_naive": ratio(total_naive, len(scored)) if scored else None,
               "ratio_to_naive": ratio(total, total_naive) if total_naive else None,
               "coverage_per_week": [ratio(a, n) if n else None for a, n in hits],
               "coverage": ratio(inside, counted) if counted else None}
    why = {}
    if not rows:
        why["backtest"] = NO_HISTORY if not books.with_history else (
            f"the history has no month-end with {WARM_UP_DAYS} days of history before it and {HORIZON} days "
            f"of payments after it")
    return {"as_of": books.as_of, "currency": books.header.company.currency, "origins": rows,
            "summary": summary, "not_computed": why}
