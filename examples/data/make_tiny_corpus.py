#!/usr/bin/env python3
"""Generates tiny_corpus.u16: the bundled training text of moefold executables.

The text is English prose generated from a small hand-written grammar (every
word list below was written for this file, so the corpus is free of third-party
copyright), deterministic for a given seed. Tokens are bytes: each character
of the ASCII text becomes one little-endian uint16 token < 256, the format the
runtime's token loader reads (runtime/include/moefold_runtime/mfrt_data.h).

    python3 make_tiny_corpus.py [--bytes 300000] [--seed 1] [-o tiny_corpus.u16]
"""

import argparse
import random
import struct

NAMES = ["Ada", "Ben", "Clara", "David", "Edith", "Felix", "Grace", "Hugo",
         "Iris", "Jonas", "Kate", "Leo", "Mara", "Noah", "Olive", "Paul"]
ANIMALS = ["fox", "owl", "cat", "dog", "horse", "goat", "crow", "hare",
           "mouse", "bear", "wolf", "duck"]
THINGS = ["lamp", "book", "letter", "basket", "boat", "bell", "map", "key",
          "coat", "cup", "clock", "garden", "window", "bridge", "road",
          "river", "mill", "cart", "fire", "song"]
PLACES = ["the village", "the old mill", "the market", "the forest",
          "the harbour", "the school", "the hill", "the farm", "the station",
          "the library", "the kitchen", "the river bank"]
TIMES = ["in the morning", "at noon", "in the evening", "at night",
         "on Sunday", "after the rain", "before dawn", "in the winter",
         "in early spring", "at the end of the summer"]
ADJ = ["small", "old", "quiet", "bright", "heavy", "warm", "cold", "green",
       "red", "tired", "happy", "careful", "strange", "gentle", "busy",
       "empty", "wooden", "broken", "new", "tall"]
ADV = ["slowly", "quickly", "quietly", "carefully", "gladly", "suddenly",
       "softly", "again", "alone", "all day"]
VERBS_T = [("found", "find"), ("carried", "carry"), ("opened", "open"),
           ("painted", "paint"), ("mended", "mend"), ("watched", "watch"),
           ("cleaned", "clean"), ("sold", "sell"), ("lost", "lose"),
           ("wanted", "want"), ("built", "build"), ("followed", "follow")]
VERBS_I = [("walked", "walk"), ("slept", "sleep"), ("laughed", "laugh"),
           ("waited", "wait"), ("sang", "sing"), ("worked", "work"),
           ("rested", "rest"), ("listened", "listen")]
SAYINGS = ["the sky was grey", "the bread was still warm",
           "nobody had seen the key", "the river was high this year",
           "the lamp gave a kind light", "the road home was long",
           "every bell in the town rang at once", "the crow knew the way"]


def noun_phrase(rng):
    r = rng.random()
    if r < 0.35:
        return rng.choice(NAMES)
    if r < 0.7:
        return "the " + rng.choice(ADJ) + " " + rng.choice(ANIMALS)
    return "the " + rng.choice(ANIMALS)


def object_phrase(rng):
    if rng.random() < 0.5:
        return "a " + rng.choice(ADJ) + " " + rng.choice(THINGS)
    return "the " + rng.choice(THINGS)


def sentence(rng):
    kind = rng.randrange(7)
    s = noun_phrase(rng)
    if kind == 0:
        s += " " + rng.choice(VERBS_T)[0] + " " + object_phrase(rng)
        if rng.random() < 0.3:
            s += " at " + rng.choice(PLACES)
    elif kind == 1:
        s += " " + rng.choice(VERBS_I)[0] + " " + rng.choice(ADV)
    elif kind == 2:
        s += " " + rng.choice(VERBS_I)[0] + " near " + rng.choice(PLACES)
        s += " " + rng.choice(TIMES)
    elif kind == 3:
        s = rng.choice(TIMES).capitalize() + " " + s
        s += " " + rng.choice(VERBS_T)[0] + " " + object_phrase(rng)
    elif kind == 4:
        s += " said that " + rng.choice(SAYINGS)
    elif kind == 5:
        verb = rng.choice(VERBS_T)
        s += " did not " + verb[1] + " " + object_phrase(rng) + ", but "
        s += noun_phrase(rng) + " " + rng.choice(VERBS_I)[0]
    else:
        s += " was " + rng.choice(ADJ) + " and " + rng.choice(ADJ)
    s = s[0].upper() + s[1:]
    return s + rng.choice([".", ".", ".", "!", "?"] if kind == 4 else ["."])


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bytes", type=int, default=300000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", default="tiny_corpus.u16")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    parts, size = [], 0
    while size < args.bytes:
        p = paragraph(rng) + "\n\n"
        parts.append(p)
        size += len(p)
    text = "".join(parts)[: args.bytes]
    data = text.encode("ascii")
    assert all(b < 256 for b in data)
    with open(args.output, "wb") as f:
        f.write(struct.pack("<%dH" % len(data), *data))
    print("wrote %s: %d tokens" % (args.output, len(data)))


if __name__ == "__main__":
    main()
