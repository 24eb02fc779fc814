# spm — PGXS build.  `make`, `make install`, `make installcheck`.
EXTENSION    = spm
EXTVERSION   = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" spm.control)
MODULE_big   = spm
OBJS         = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script of the current version is built from one fragment per
# concept (src/sql/NN_name.sql, concatenated in name order).  Scripts of
# released older versions and upgrade scripts live frozen in src/sql/versions/.
SQL_FRAGMENTS = $(sort $(wildcard src/sql/*.sql))
DATA_built   = $(EXTENSION)--$(EXTVERSION).sql
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
EXTRA_CLEAN  = $(EXTENSION)--$(EXTVERSION).sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_FRAGMENTS) spm.control
	{ echo '-- spm $(EXTVERSION): generated from src/sql/*.sql by make; do not edit.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION spm" to load this file. \quit'; \
	  for f in $(SQL_FRAGMENTS); do echo; echo "-- ---- $$f"; cat $$f; done; } > $@

.PHONY: demo test bench
demo:
	bash tools/demo.sh
test:
	bash tools/test.sh
bench:
	bash bench/run.sh
