"""The reference for bench/data.ts: the same preprocessing as src/data/prepare.ts, written with pandas/numpy as a
data scientist would (explicit dtypes, vectorised numpy, no Python loops over rows).

Usage: /usr/bin/python3 bench/prepare_pandas.py RAW_DIR OUT_DIR [--split user-temporal|global]
  [--positive-threshold 4] [--test-fraction 0.2]
Prints one JSON line with the counts, to check both implementations agree. The rows come out sorted by user and
time (what a data scientist would keep), where src/data/prepare.ts keeps file order. pandas has no Parquet engine on these
machines (no pyarrow), so the columns are written as .npy files, which is cheaper than Parquet.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import pandas as pd

EARLIEST_TIMESTAMP = 788_918_400


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("out")
    parser.add_argument("--split", choices=["user-temporal", "global"], default="global")
    parser.add_argument("--positive-threshold", type=float, default=4.0)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args()
    raw, out, threshold, test_fraction = args.raw, args.out, args.positive_threshold, args.test_fraction
    ratings_file = os.path.join(raw, "ratings.csv")
    movies_file = os.path.join(raw, "movies.csv")

    movies = pd.read_csv(movies_file, dtype={"movieId": "int32", "title": str, "genres": str}, keep_default_na=False)
    if list(movies.columns) != ["movieId", "title", "genres"]:
        sys.exit(f"{movies_file}:1: wrong header")
    if (movies.movieId <= 0).any() or movies.movieId.duplicated().any():
        sys.exit(f"{movies_file}: bad or duplicate movieId")
    movies = movies.sort_values("movieId", kind="stable").reset_index(drop=True)
    movies["year"] = pd.to_numeric(movies.title.str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce")

    ratings = pd.read_csv(
        ratings_file,
        dtype={"userId": "int32", "movieId": "int32", "rating": "float32", "timestamp": "int64"},
        engine="c",
    )
    if list(ratings.columns) != ["userId", "movieId", "rating", "timestamp"]:
        sys.exit(f"{ratings_file}:1: wrong header")
    r = ratings.rating.to_numpy()
    bad = (
        (ratings.userId.to_numpy() <= 0)
        | (ratings.movieId.to_numpy() <= 0)
        | (r < 0.5)
        | (r > 5)
        | (r * 2 != np.round(r * 2))
        | (ratings.timestamp.to_numpy() < EARLIEST_TIMESTAMP)
    )
    if bad.any():
        sys.exit(f"{ratings_file}:{int(np.argmax(bad)) + 2}: bad value")
    read = len(ratings)

    known = ratings.movieId.isin(movies.movieId).to_numpy()
    unknown = int((~known).sum())
    user_ids = np.unique(ratings.userId.to_numpy())
    ratings = ratings[known]

    ts = ratings.timestamp.to_numpy()
    indexed = pd.DataFrame(
        {
            "userIndex": np.searchsorted(user_ids, ratings.userId.to_numpy()).astype("int32"),
            "movieIndex": np.searchsorted(movies.movieId.to_numpy(), ratings.movieId.to_numpy()).astype("int32"),
            "rating": ratings.rating.to_numpy(),
            "timestamp": ts.astype("float64"),
        }
    )
    del ratings
    # Stable: ties in (user, time, movie) stay in file order, the last tie-break of prepare.ts's user-temporal split.
    indexed.sort_values(["userIndex", "timestamp", "movieIndex"], inplace=True, kind="stable")
    n_users, n_movies = len(user_ids), len(movies)
    u, m = indexed.userIndex.to_numpy(), indexed.movieIndex.to_numpy()
    if args.split == "global":
        n = len(ts)
        k = n - round(n * test_fraction)
        cutoff = int(np.partition(ts, k)[k])
        is_test = indexed.timestamp.to_numpy() >= cutoff
    else:
        # A user's last round(n * fraction) ratings (halves up, at most n - 1) are test: userTestCount in prepare.ts.
        rank = indexed.groupby("userIndex", sort=False).cumcount().to_numpy()  # 0-based, rows sorted by time
        per_user = np.bincount(u, minlength=n_users)[u]
        test_count = np.clip(np.floor(per_user * test_fraction + 0.5), 0, per_user - 1)
        is_test = rank >= per_user - test_count
        cutoff = int(indexed.timestamp.to_numpy()[~is_test].max()) + 1
    user_train = np.bincount(u[~is_test], minlength=n_users)
    user_test = np.bincount(u[is_test], minlength=n_users)
    movie_train = np.bincount(m[~is_test], minlength=n_movies)
    movie_test = np.bincount(m[is_test], minlength=n_movies)
    positive = indexed.rating.to_numpy() >= threshold
    user_test_positives = np.bincount(u[is_test & positive], minlength=n_users)

    os.makedirs(out, exist_ok=True)
    for name, mask in (("train", ~is_test), ("test", is_test)):
        part = indexed[mask]
        for column in part.columns:
            np.save(os.path.join(out, f"{name}.{column}.npy"), part[column].to_numpy())
    pd.DataFrame(
        {"userIndex": np.arange(n_users), "userId": user_ids, "trainRatings": user_train, "testRatings": user_test}
    ).to_pickle(os.path.join(out, "users.pkl"))
    movies.assign(movieIndex=np.arange(n_movies), trainRatings=movie_train, testRatings=movie_test).to_pickle(
        os.path.join(out, "movies.pkl")
    )
    counts = {
        "split": args.split,
        "read": read,
        "users": n_users,
        "movies": n_movies,
        "cutoffTimestamp": cutoff,
        "trainRatings": int((~is_test).sum()),
        "testRatings": int(is_test.sum()),
        "trainPositives": int((positive & ~is_test).sum()),
        "testPositives": int((positive & is_test).sum()),
        "coldUsers": int((user_train == 0).sum()),
        "testUsersWithTrainHistory": int(((user_test > 0) & (user_train > 0)).sum()),
        "testUsersWithTrainHistoryAndPositives": int(((user_test_positives > 0) & (user_train > 0)).sum()),
        "coldMovies": int(((movie_train == 0) & (movie_test > 0)).sum()),
        "ratingsWithUnknownMovie": unknown,
    }
    checksums = {"ratings.csv": sha256(ratings_file), "movies.csv": sha256(movies_file)}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"counts": counts, "inputChecksums": checksums}, f)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
