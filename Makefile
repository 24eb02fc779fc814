# spm — PGXS build.  `make`, `make install`, `make installcheck`.
#
# Two extensions, one library:
#   spm         the stateless library (types, aggregates, windows, calendars,
#               draws, crediting): src/*.c + src/sql/NN_*.sql
#   spm_payout  the payout application (catalog, runs, results, views,
#               roles): src/payout/NN_*.sql, requires spm
EXTENSION    = spm spm_payout
EXTVERSION   = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" spm.control)
PAYOUTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" spm_payout.control)
MODULE_big   = spm
OBJS         = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script of each current version is built from one fragment per
# concept (NN_name.sql, concatenated in name order).  Scripts of released
# older versions and upgrade scripts live frozen in src/sql/versions/.
SQL_FRAGMENTS    = $(sort $(wildcard src/sql/*.sql))
PAYOUT_FRAGMENTS = $(sort $(wildcard src/payout/*.sql))
DATA_built   = spm--$(EXTVERSION).sql spm_payout--$(PAYOUTVERSION).sql
DATA         = $(wildcard src/sql/versions/*.sql)

# pg_regress: every sql/NAME.sql, in name order (00_install first).
REGRESS      = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=plpgsql

PG_CPPFLAGS  = -Isrc
PG_CFLAGS    = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
# Warnings are errors only in the test/CI build: `make WERROR=1` (tools/lib.sh
# passes it when SPM_WERROR=1); a user's plain `make` never fails on a warning.
ifeq ($(WERROR),1)
PG_CFLAGS   += -Werror
endif
EXTRA_CLEAN  = $(DATA_built)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# $(call build_script,EXTENSION,VERSION,FRAGMENTS)
define build_script
	{ echo '-- $(1) $(2): generated from its src fragments by make; do not edit.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION $(1)" to load this file. \quit'; \
	  for f in $(3); do echo; echo "-- ---- $$f"; cat $$f; done; } > $@
endef

spm--$(EXTVERSION).sql: $(SQL_FRAGMENTS) spm.control
	$(call build_script,spm,$(EXTVERSION),$(SQL_FRAGMENTS))

spm_payout--$(PAYOUTVERSION).sql: $(PAYOUT_FRAGMENTS) spm_payout.control
	$(call build_script,spm_payout,$(PAYOUTVERSION),$(PAYOUT_FRAGMENTS))

.PHONY: demo test bench
demo:
	bash tools/demo.sh
test:
	bash tools/test.sh
bench:
	bash bench/run.sh
	bash bench/payout.sh
	bash bench/shards.sh
