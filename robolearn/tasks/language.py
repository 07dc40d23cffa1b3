"""Instructions from goals: a canonical sentence, training paraphrases, held-out paraphrases.

Each goal predicate has a list of templates. Template 0 gives the canonical instruction;
templates 1..3 give training paraphrases; the rest are held out for evaluation (the
``@paraphrase`` perturbation). Multi-stage goals join their clauses. Which clause template is
used for each paraphrase is chosen by a seeded Generator, so language is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from robolearn.tasks.spec import Atom

N_TRAIN_PARAPHRASES = 3

# {a}, {b}: referring expressions ("the black bowl", "the top drawer of the cabinet").
TEMPLATES: dict[str, list[str]] = {
    "On": [
        "pick up {a} and place it on {b}",
        "put {a} on {b}",
        "move {a} onto {b}",
        "place {a} on top of {b}",
        "grab {a} and set it down on {b}",
        "transfer {a} onto {b}",
    ],
    "OnRegion": [
        "move {a} to {b}",
        "slide {a} over to {b}",
        "put {a} at {b}",
        "relocate {a} to {b}",
        "shift {a} so that it ends up at {b}",
        "take {a} over to {b}",
    ],
    "In": [
        "pick up {a} and place it in {b}",
        "put {a} in {b}",
        "drop {a} into {b}",
        "place {a} inside {b}",
        "stow {a} in {b}",
        "get {a} into {b}",
    ],
    "Stacked": [
        "stack {a} on {b}",
        "put {a} on top of {b}",
        "place {a} onto {b} to make a stack",
        "pile {a} on {b}",
        "build a tower with {a} on {b}",
        "set {a} on top of {b}",
    ],
    "Lifted": [
        "pick up {a}",
        "lift {a}",
        "raise {a} off the table",
        "pick {a} up off the table",
        "hold {a} up in the air",
        "grab {a} and lift it",
    ],
    "Open": [
        "open {a}",
        "pull {a} open",
        "make sure {a} is open",
        "swing {a} open",
        "get {a} open",
        "leave {a} open",
    ],
    "Closed": [
        "close {a}",
        "shut {a}",
        "push {a} closed",
        "make sure {a} is closed",
        "get {a} shut",
        "leave {a} closed",
    ],
    "TurnedOn": [
        "turn on {a}",
        "switch on {a}",
        "turn {a} on",
        "power on {a}",
        "get {a} going",
        "fire up {a}",
    ],
    "TurnedOff": [
        "turn off {a}",
        "switch off {a}",
        "turn {a} off",
        "power off {a}",
        "shut off {a}",
        "kill {a}",
    ],
}

CONNECTIVES = [" and then ", " and ", ", then ", ", after that "]


def _clause(atom: Atom, refs: Mapping[str, str], template_index: int, regions: set[str]) -> str:
    key = "OnRegion" if atom.pred == "On" and atom.args[1] in regions else atom.pred
    templates = TEMPLATES[key]
    text = templates[template_index % len(templates)]
    values = dict(zip("ab", (refs.get(arg, arg.replace("_", " ")) for arg in atom.args)))
    return text.format(**values)


def _join(clauses: Sequence[str], connective: str) -> str:
    if len(clauses) == 1:
        return clauses[0]
    return ", ".join(clauses[:-1]) + connective + clauses[-1]


def instructions(
    goal: Sequence[Atom],
    refs: Mapping[str, str],
    rng: np.random.Generator,
    regions: set[str] | None = None,
    n_heldout: int = 2,
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(canonical, training paraphrases, held-out paraphrases) for a goal conjunction.

    ``refs`` maps names in the goal to referring expressions ("the black bowl").
    """
    regions = regions or set()
    canonical = _join([_clause(a, refs, 0, regions) for a in goal], ", then ")
    seen = {canonical}

    def variants(pool: list[int], count: int) -> list[str]:
        out: list[str] = []
        for k in range(count * 8):  # a few tries per sentence for one not seen yet
            if len(out) == count:
                break
            picks = [
                pool[(k + i) % len(pool)] if i == 0 else int(rng.choice(pool))
                for i in range(len(goal))
            ]
            conn = CONNECTIVES[int(rng.integers(len(CONNECTIVES)))]
            text = _join([_clause(a, refs, p, regions) for a, p in zip(goal, picks)], conn)
            if text not in seen:
                seen.add(text)
                out.append(text)
        return out

    train = variants(list(range(1, 1 + N_TRAIN_PARAPHRASES)), N_TRAIN_PARAPHRASES)
    heldout = variants(list(range(1 + N_TRAIN_PARAPHRASES, 6)), n_heldout)
    return canonical, tuple(train), tuple(heldout)
