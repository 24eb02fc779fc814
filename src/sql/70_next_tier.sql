-- Next tier: how much more credit reaches the next break of a schedule and
-- what it would pay (docs/schedules.md, "Next tier"; C in src/next_tier.c).
CREATE FUNCTION spm.next_tier(s spm.schedule, sold numeric,
                              OUT need numeric, OUT next_break numeric,
                              OUT rate_now numeric, OUT rate_next numeric,
                              OUT pays_now numeric, OUT pays_at_next numeric,
                              OUT gain numeric)
    AS 'MODULE_PATHNAME', 'spm_next_tier' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.next_tier(spm.schedule, numeric) IS
    'the next point above sold where the rule changes (a break, a gate threshold, the point a cap is reached): need = next_break - sold, marginal rates now and past it, E(sold), E(next_break) and their difference; need and the next_* columns are NULL when no change lies ahead';

CREATE FUNCTION spm.next_tier(s spm.schedule, sold numeric, quota numeric,
                              OUT need numeric, OUT next_break numeric,
                              OUT rate_now numeric, OUT rate_next numeric,
                              OUT pays_now numeric, OUT pays_at_next numeric,
                              OUT gain numeric)
    AS 'MODULE_PATHNAME', 'spm_next_tier' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION spm.next_tier(spm.schedule, numeric, numeric) IS
    'spm.next_tier with breaks, curve points, caps and gates read as fractions of quota, as spm.apply(s, x, quota) reads them; amounts in and out are in money; quota <= 0 is an error (22023)';
