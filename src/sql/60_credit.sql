-- Credit allocation: penny-exact splits (see docs/crediting.md).

CREATE FUNCTION spm.allocate(amount numeric, weights numeric[]) RETURNS numeric[]
    AS 'MODULE_PATHNAME', 'spm_allocate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.allocate(numeric, numeric[]) IS
    'shares of amount proportional to weights, in cents, by largest remainder: they add up exactly to round(amount, 2)';

CREATE FUNCTION spm.allocate(amount numeric, weights numeric[], scale integer) RETURNS numeric[]
    AS 'MODULE_PATHNAME', 'spm_allocate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.allocate(numeric, numeric[], integer) IS
    'shares of amount proportional to weights with scale decimals (0..30), by largest remainder: they add up exactly to round(amount, scale)';

CREATE FUNCTION spm.split_share(amount numeric, weight numeric) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_split_share' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.split_share(numeric, numeric) IS
    'window function: this row''s share in cents of the partition''s amount, split by weight like spm.allocate over the rows in window order';

CREATE FUNCTION spm.split_share(amount numeric, weight numeric, scale integer) RETURNS numeric
    AS 'MODULE_PATHNAME', 'spm_split_share' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION spm.split_share(numeric, numeric, integer) IS
    'window function: this row''s share with scale decimals of the partition''s amount, split by weight like spm.allocate over the rows in window order';
