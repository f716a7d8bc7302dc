/**
 * The event store's tables in PostgreSQL's dialect: the same tables, keys and CHECKs as SQLite's (./schema.ts,
 * whose `EVENT_STORE_SCHEMA_VERSION` both share), so duplicates are impossible on either backend. Differences,
 * each for PostgreSQL's sake: BIGINT for user ids and Unix milliseconds, BOOLEAN `fallback`, DOUBLE PRECISION
 * for the REAL columns, and `impressions.seq` (an identity column) for serving order where SQLite has its rowid.
 * The version lives in the one-row table `event_store_schema` (PostgreSQL has no `user_version`).
 */

/** The one-row table holding the schema version; its absence means an empty database. */
export const POSTGRES_VERSION_TABLE = "event_store_schema";

export const POSTGRES_SCHEMA = `
CREATE TABLE ${POSTGRES_VERSION_TABLE} (
  version INTEGER NOT NULL,
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row)
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- A user exposed to a variant (see ./schema.ts).
CREATE TABLE assignments (
  user_id BIGINT NOT NULL CHECK (user_id > 0),
  variant TEXT NOT NULL CHECK (length(variant) > 0),
  routing_mode TEXT NOT NULL CHECK (routing_mode IN ('sticky', 'random', 'interleave', 'thompson', 'epsilon-greedy', 'pre')),
  assigned_at_ms BIGINT NOT NULL,
  PRIMARY KEY (user_id, variant)
);

-- One served prediction (see ./schema.ts). seq: serving order, the order the routers stored the impressions.
CREATE TABLE impressions (
  seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  request_id TEXT PRIMARY KEY CHECK (length(request_id) > 0),
  user_id BIGINT NOT NULL,
  variant TEXT NOT NULL,
  model_version TEXT NOT NULL,
  fallback BOOLEAN NOT NULL,
  shown_at_ms BIGINT NOT NULL,
  day INTEGER CHECK (day IS NULL OR day >= 0),
  phase TEXT NOT NULL DEFAULT 'experiment' CHECK (phase IN ('pre', 'experiment')),
  latency_ms DOUBLE PRECISION CHECK (latency_ms IS NULL OR latency_ms >= 0),
  propensity DOUBLE PRECISION CHECK (propensity IS NULL OR (propensity >= 0 AND propensity <= 1)),
  FOREIGN KEY (user_id, variant) REFERENCES assignments (user_id, variant)
);
CREATE INDEX impressions_by_variant_user ON impressions (variant, user_id);

-- The movies of an impression, by 0-based position (see ./schema.ts).
CREATE TABLE impression_items (
  request_id TEXT NOT NULL REFERENCES impressions (request_id),
  position INTEGER NOT NULL CHECK (position >= 0),
  movie_id INTEGER NOT NULL CHECK (movie_id > 0),
  team TEXT CHECK (team IS NULL OR length(team) > 0),
  PRIMARY KEY (request_id, position),
  UNIQUE (request_id, movie_id),
  UNIQUE (request_id, position, movie_id)
);

-- At most one reward per impression, naming a movie shown in it (composite FOREIGN KEY).
CREATE TABLE feedback (
  request_id TEXT PRIMARY KEY REFERENCES impressions (request_id),
  reward SMALLINT NOT NULL CHECK (reward IN (0, 1)),
  movie_id INTEGER,
  position INTEGER,
  received_at_ms BIGINT NOT NULL,
  CHECK ((reward = 1) = (movie_id IS NOT NULL AND position IS NOT NULL)),
  FOREIGN KEY (request_id, position, movie_id) REFERENCES impression_items (request_id, position, movie_id)
);

CREATE VIEW clicks AS
  SELECT request_id, movie_id, position, received_at_ms AS clicked_at_ms FROM feedback WHERE reward = 1;
`;
