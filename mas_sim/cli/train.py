"""``mas-sim train relmas``: train a RELMAS scheduler (needs torch; see policies.relmas)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    """Register ``train``."""
    p = sub.add_parser("train", help="train a learning scheduler (relmas)",
                       description="Train RELMAS (DDPG + LSTM) on a scenario.")
    p.add_argument("algorithm", choices=["relmas"])
    p.set_defaults(handler=main, train_parser=p)
    try:
        from policies.relmas.train import add_train_arguments
    except ImportError:
        return
    add_train_arguments(p)


def main(args: argparse.Namespace) -> int:
    """Hand over to the RELMAS trainer."""
    from policies.relmas.train import train_main

    return int(train_main(args))
