/**
 * The event store's tables, in SQLite's dialect, and their version. Existing stores (results/runs/*) are read
 * with this schema: a change bumps the version, and a store of another version is refused when opened.
 */

/**
 * Bumped whenever the tables change; stored in `PRAGMA user_version`. Version 2 added the simulated calendar:
 * impressions' `day`, `phase` and `latency_ms`, and pre-period assignments (`routing_mode` 'pre'). Version 3
 * added interleaving and bandit routing: `impression_items.team`, `impressions.propensity` and the routing modes
 * 'interleave', 'thompson' and 'epsilon-greedy'.
 */
export const EVENT_STORE_SCHEMA_VERSION = 3;

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- A user exposed to a variant. Sticky routing gives one row per user; random routing may give two. 'pre': exposed
-- only in the pre-period so far; the user's first experiment impression from that variant turns the row into an
-- experiment assignment (routing mode and time of that impression).
CREATE TABLE IF NOT EXISTS assignments (
  user_id INTEGER NOT NULL CHECK (user_id > 0),
  variant TEXT NOT NULL CHECK (length(variant) > 0),
  routing_mode TEXT NOT NULL CHECK (routing_mode IN ('sticky', 'random', 'interleave', 'thompson', 'epsilon-greedy', 'pre')),
  assigned_at_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, variant)
) WITHOUT ROWID;

-- One served prediction (a list of movies shown to a user). day: the router's simulated day (NULL without a
-- simulated calendar); phase: 'pre' (pre-period, child 0 for everyone) or 'experiment'; latency_ms: from the
-- parsed request to the model's answer; propensity: the probability the routing policy had of choosing this
-- variant (NULL when none was drawn: the pre-period's child 0, an interleaved slate).
CREATE TABLE IF NOT EXISTS impressions (
  request_id TEXT PRIMARY KEY CHECK (length(request_id) > 0),
  user_id INTEGER NOT NULL,
  variant TEXT NOT NULL,
  model_version TEXT NOT NULL,
  fallback INTEGER NOT NULL CHECK (fallback IN (0, 1)),
  shown_at_ms INTEGER NOT NULL,
  day INTEGER CHECK (day IS NULL OR day >= 0),
  phase TEXT NOT NULL DEFAULT 'experiment' CHECK (phase IN ('pre', 'experiment')),
  latency_ms REAL CHECK (latency_ms IS NULL OR latency_ms >= 0),
  propensity REAL CHECK (propensity IS NULL OR (propensity >= 0 AND propensity <= 1)),
  FOREIGN KEY (user_id, variant) REFERENCES assignments (user_id, variant)
);
CREATE INDEX IF NOT EXISTS impressions_by_variant_user ON impressions (variant, user_id);

-- The movies of an impression, by 0-based position. team: the model that contributed the movie to an interleaved
-- slate (NULL for a slate of one model).
CREATE TABLE IF NOT EXISTS impression_items (
  request_id TEXT NOT NULL REFERENCES impressions (request_id),
  position INTEGER NOT NULL CHECK (position >= 0),
  movie_id INTEGER NOT NULL CHECK (movie_id > 0),
  team TEXT CHECK (team IS NULL OR length(team) > 0),
  PRIMARY KEY (request_id, position),
  UNIQUE (request_id, movie_id),
  UNIQUE (request_id, position, movie_id)
) WITHOUT ROWID;

-- At most one reward per impression: 1 = a click on movie_id at position, 0 = shown and not clicked.
CREATE TABLE IF NOT EXISTS feedback (
  request_id TEXT PRIMARY KEY REFERENCES impressions (request_id),
  reward INTEGER NOT NULL CHECK (reward IN (0, 1)),
  movie_id INTEGER,
  position INTEGER,
  received_at_ms INTEGER NOT NULL,
  CHECK ((reward = 1) = (movie_id IS NOT NULL AND position IS NOT NULL)),
  FOREIGN KEY (request_id, position, movie_id) REFERENCES impression_items (request_id, position, movie_id)
);

CREATE VIEW IF NOT EXISTS clicks AS
  SELECT request_id, movie_id, position, received_at_ms AS clicked_at_ms FROM feedback WHERE reward = 1;
`;
