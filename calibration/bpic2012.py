"""BPI Challenge 2012: calibrate on loan applications submitted before 2012-01-01,
predict the funnel of those submitted after, to the end of the data (2012-03-14).

Each application is a customer; its application (A_*) and offer (O_*) events are the
touchpoints.  Approval, registration and activation happen at the same instant, so they
are one outcome ``approved``; ``declined`` and ``cancelled`` are the other outcomes.  An
application still without an outcome at the cut-off starts the holdout simulation where
it is (the warm start); applications of 2012 arrive by the fitted Poisson process with
its weekly pattern.

Targets (issue 5): for 2012 applications the shares pre-accepted, accepted, approved,
declined, cancelled and still open at the end, each within 2 percentage points; the median
time from submission to decision within 10 %.

Figures at the defaults (20 replications; issue 12, item 5), before → after office hours:

- shares: pre-accepted −1.8 → −1.8 pp, accepted −0.9 → −0.9, approved −0.4 → −0.3,
  declined +1.4 → +1.4, cancelled −0.4 → −0.3, open at the end −0.6 → −0.8: met;
- median days from submission to decision: 0.32 → 0.27 [0.19, 0.40] against 0.65
  (−51 % → −59 %): NOT met.

What the log shows (all pre-2012 unless said):

- office hours hold: staff moves happen Monday to Friday 09–21 and Saturday 09–17 local
  time (0.5 % of the spells at pre-accepted end between 21:00 and 08:00, 1 % on a
  Sunday), while applications arrive at all hours.  The calibration finds them
  (``office_hours``: six touchpoints at p < 0.01), fits their dwell in office time and
  gives the arrivals their hour-of-week pattern.  It changes the hours of the day at
  which things happen, not the share decided within a day (below);
- but they do not explain the 2012 slowdown: it is at pre-accepted (waiting for the
  work item "W_Completeren aanvraag"), whose median dwell went 0.10 days (October) →
  0.16 (November–December) → 0.32–0.38 (January–February); in office hours 1.9 → 3.3 →
  5.4–5.6 hours.  The offer's wait (O_SENT, 6.7 days) did not change;
- nor does workload: the staff on that work item (26–30 a week), its effort (a median of
  2.4–3.3 minutes) and the applications reaching pre-accepted (50 a day in November,
  51–55 in 2012) barely moved; week to week in 2011 the pace does not follow the new
  load (correlation 0.08, and −0.16 per member of staff), and a 2011 regression on it
  predicts 2.8 office hours for 2012 against 5.6.  The only correlate is the log's own
  backlog of work items, which grows from nothing as the log fills (no case before
  1 October 2011 is in it): an artifact, and even so it predicts 3.5;
- the median sits where the time to a decision has almost no mass: of the 2012
  applications decided by 2012-03-14, 44.4 % took at most 0.25 days, 50.0 % at most
  0.65, 54.0 % at most 1 day.  ±10 % on the median needs the share decided within 0.65
  days right to ±0.7 pp; the model puts it at 55.7 % with or without office hours.  Of
  the 5.7 pp, about 2 pp are decisions after pre-acceptance (its slowdown), 2 pp
  automatic declines (the pre-accepted share is 1.8 pp low) and 1 pp cancellations a
  first-order journey sends straight after a cancelled offer (in the log a new offer
  follows it) — a drift the calibration period cannot show;
- memory does not move it: with ``--order 2`` (21 states) the median is 0.32 [0.23, 0.43]
  (−52 %), with ``--order auto`` (BIC picks 3, 28 states) 0.33 [0.22, 0.44] (−50 %); the
  shares stay within 1.8 pp.  Validation's drift test flags the cause: the dwell at
  pre-accepted is 1.9 times the model's in 2012, in office time.

    python calibration/bpic2012.py [--data DIR] [--replications N] [--order K|auto]
        [--plot F.png] [--one-dwell | --parametric | --auto]

By default every touchpoint's dwell is by destination and Kaplan-Meier; ``--auto`` leaves
both to calibrate's defaults (one dwell or one per destination by BIC, guarded families).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import find, finish, parser

import cjsim

FILE = "bpic2012_loan_applications.csv.gz"
CUTOFF = "2012-01-01"
COLUMNS = cjsim.EventColumns(
    customer="case:concept:name",
    time="time:timestamp",
    event="concept:name",
    value="case:AMOUNT_REQ",
    segment=None,
)
MAPPING = {
    "touchpoints": {
        "submitted": ["A_SUBMITTED"],
        "partly_submitted": ["A_PARTLYSUBMITTED"],
        "preaccepted": ["A_PREACCEPTED"],
        "accepted": ["A_ACCEPTED"],
        "offer_created": ["O_SELECTED", "O_CREATED"],
        "offer_sent": ["O_SENT"],
        "finalized": ["A_FINALIZED"],
        "offer_back": ["O_SENT_BACK"],
        "offer_cancelled": ["O_CANCELLED"],
        "offer_declined": ["O_DECLINED"],
        "offer_accepted": ["O_ACCEPTED"],
    },
    "stages": {
        "submitted": "application",
        "partly_submitted": "application",
        "preaccepted": "assessment",
        "accepted": "assessment",
        "offer_created": "offer",
        "offer_sent": "offer",
        "finalized": "offer",
        "offer_back": "offer",
        "offer_cancelled": "offer",
        "offer_declined": "offer",
        "offer_accepted": "offer",
    },
    "outcomes": {
        "approved": ["A_APPROVED", "A_REGISTERED", "A_ACTIVATED"],
        "declined": ["A_DECLINED"],
        "cancelled": ["A_CANCELLED"],
    },
    "cutoff": CUTOFF,
}
# The log holds the applications submitted up to the end of February 2012, with their
# events until 2012-03-14: new applications stop arriving at the first date.
ARRIVALS_END = "2012-03-01"
SHARES = ("preaccepted", "accepted", "approved", "declined", "cancelled", "open at the end")


def load(path: Path) -> pd.DataFrame:
    """Completed events only (the log's lifecycle column also has starts and schedules
    of work items, which are not in the mapping anyway)."""
    log = pd.read_csv(path, dtype=str)
    return log[log["lifecycle:transition"] == "COMPLETE"].reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--one-dwell",
        action="store_true",
        help="one dwell per touchpoint instead of one per destination (for comparison)",
    )
    p.add_argument(
        "--parametric",
        action="store_true",
        help="parametric dwell per destination instead of Kaplan-Meier",
    )
    p.add_argument(
        "--order",
        type=lambda text: text if text == "auto" else int(text),
        default=1,
        help="memory: the last K touchpoints set the next step, or auto (default 1)",
    )
    p.add_argument(
        "--auto",
        action="store_true",
        help="calibrate's defaults: one dwell or one per destination chosen by BIC per "
        "touchpoint, families guarded (fixed delay, goodness-of-fit test, Kaplan-Meier)",
    )
    args = p.parse_args(argv)
    path = find(args.data, FILE)
    if path is None:
        return 0
    log = load(path)
    t0 = time.perf_counter()
    fit = cjsim.calibrate(
        log,
        MAPPING,
        COLUMNS,
        dwell_by_destination="auto" if args.auto else not args.one_dwell,
        dwell_families=None if args.parametric or args.one_dwell or args.auto else ("empirical",),
        horizon_days=75,
        seed=0,
        order=args.order,
    )
    print(fit.summary())
    print(f"  fit took {time.perf_counter() - t0:.1f} s")
    print(fit.report["exits"].round(3).to_string(index=False))
    v = cjsim.validate(
        fit,
        log,
        columns=COLUMNS,
        replications=args.replications,
        seed=args.seed,
        arrivals_end=ARRIVALS_END,
    )
    print()
    print(v.summary())
    funnel = v.funnel[v.funnel["group"] == "new"].set_index("node")
    print()
    print("BPIC 2012 figures: applications submitted in 2012 (target: within 2 pp)")
    worst = 0.0
    for name in SHARES:
        r = funnel.loc[name]
        gap = 100 * (r["predicted"] - r["actual"])
        worst = max(worst, abs(gap))
        print(
            f"  {name:<16} predicted {r['predicted']:6.1%} [{r['low']:.1%}, {r['high']:.1%}]"
            f"  actual {r['actual']:6.1%}  {gap:+5.1f} pp {'' if abs(gap) <= 2 else ' NOT met'}"
        )
    print(f"  largest gap {worst:.1f} pp (target 2 pp: {'met' if worst <= 2 else 'NOT met'})")
    m = v.metric("median days from entry to an outcome (new)")
    err = m["predicted"] / m["actual"] - 1
    print(
        f"  median days from submission to decision: predicted {m['predicted']:.2f} "
        f"[{m['low']:.2f}, {m['high']:.2f}], actual {m['actual']:.2f} -> {err:+.1%} "
        f"(target within 10 %: {'met' if abs(err) <= 0.10 else 'NOT met'})"
    )
    return finish(args, fit, v)


if __name__ == "__main__":
    sys.exit(main())
