"""The reference for bench/data.ts: the same preprocessing as src/data/prepare.ts, written with pandas/numpy as a
data scientist would (explicit dtypes, vectorised numpy, no Python loops over rows).

Usage: /usr/bin/python3 bench/prepare_pandas.py RAW_DIR OUT_DIR [POSITIVE_THRESHOLD] [TEST_FRACTION]
Prints one JSON line with the counts, to check both implementations agree. pandas has no Parquet engine on these
machines (no pyarrow), so the columns are written as .npy files, which is cheaper than Parquet.
"""
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
    raw, out = sys.argv[1], sys.argv[2]
    threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 4.0
    test_fraction = float(sys.argv[4]) if len(sys.argv) > 4 else 0.2
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
    n = len(ts)
    k = n - round(n * test_fraction)
    cutoff = int(np.partition(ts, k)[k])

    indexed = pd.DataFrame(
        {
            "userIndex": np.searchsorted(user_ids, ratings.userId.to_numpy()).astype("int32"),
            "movieIndex": np.searchsorted(movies.movieId.to_numpy(), ratings.movieId.to_numpy()).astype("int32"),
            "rating": ratings.rating.to_numpy(),
            "timestamp": ts.astype("float64"),
        }
    )
    del ratings
    indexed.sort_values(["userIndex", "timestamp", "movieIndex"], inplace=True, kind="stable")
    is_test = indexed.timestamp.to_numpy() >= cutoff

    n_users, n_movies = len(user_ids), len(movies)
    u, m = indexed.userIndex.to_numpy(), indexed.movieIndex.to_numpy()
    user_train = np.bincount(u[~is_test], minlength=n_users)
    user_test = np.bincount(u[is_test], minlength=n_users)
    movie_train = np.bincount(m[~is_test], minlength=n_movies)
    movie_test = np.bincount(m[is_test], minlength=n_movies)
    positive = indexed.rating.to_numpy() >= threshold

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
        "read": read,
        "users": n_users,
        "movies": n_movies,
        "cutoffTimestamp": cutoff,
        "trainRatings": int((~is_test).sum()),
        "testRatings": int(is_test.sum()),
        "trainPositives": int((positive & ~is_test).sum()),
        "testPositives": int((positive & is_test).sum()),
        "coldUsers": int((user_train == 0).sum()),
        "coldMovies": int(((movie_train == 0) & (movie_test > 0)).sum()),
        "ratingsWithUnknownMovie": unknown,
    }
    checksums = {"ratings.csv": sha256(ratings_file), "movies.csv": sha256(movies_file)}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"counts": counts, "inputChecksums": checksums}, f)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
