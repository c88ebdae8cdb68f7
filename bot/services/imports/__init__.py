"""Bulk input: customers and health snapshots from CSV files or the API, checked whole before anything is written.

Health files stream (they can have millions of rows): `HealthCsv` reads one line at a time, the caller runs
`check_health_file` over the whole file first (pass 1, nothing written), then writes the snapshots of the valid
lines from `valid_health_batches` into a `Staging` table and merges them in one transaction (pass 2). The API goes
through `import_snapshots`, which uses the same checker and the same upsert. Nothing here commits.

By stage, each module importing only those before it:
- formats.py: column names, limits, row shapes, cell parsers (dates, numbers, domains, header names)
- report.py: the report of an import (ImportResult, RowError, Counts) and FileError
- parse.py: reading CSV files: health files (long or wide format) and customers files with their rows' values
- check.py: customer references and snapshot checks; pass 1 over a health file and the valid rows of pass 2
- write.py: all or nothing unless skip-invalid (`refused`), the snapshot upsert, customers created or updated
- score.py: the affected customers' health state refreshed after snapshots were written (the API path)
- stage.py: a file's valid rows staged in a temporary table and merged in one transaction (the file path)
- snapshots.py: the API path (`import_snapshots`); customers.py: the customers file (`import_customers`)

The names below are the package's interface: callers use `from bot.services import imports`, `imports.<name>`.
"""

from bot.services.imports.check import (
    CustomerResolver,
    SnapshotChecker,
    check_health_file,
    check_snapshots,
    valid_health_batches,
)
from bot.services.imports.customers import UserLookupFailed, import_customers
from bot.services.imports.formats import (
    BATCH_SIZE,
    CUSTOMER_COLUMNS,
    LONG_COLUMNS,
    LOOKUP_CHUNK,
    MAX_LEN,
    MAX_REPORTED,
    MAX_SOURCE,
    PROGRESS_EVERY,
    STAGES,
    Problem,
    Progress,
    RawSnapshot,
    SnapshotRow,
    column_key,
    domain_key,
    parse_date,
    parse_number,
)
from bot.services.imports.parse import HealthCsv, read_customers_csv
from bot.services.imports.report import Counts, FileError, ImportResult, RowError
from bot.services.imports.score import after_snapshots_written
from bot.services.imports.snapshots import import_snapshots
from bot.services.imports.stage import Staging, queue_refresh
from bot.services.imports.write import refused, upsert_snapshots

__all__ = [
    "BATCH_SIZE",
    "CUSTOMER_COLUMNS",
    "LONG_COLUMNS",
    "LOOKUP_CHUNK",
    "MAX_LEN",
    "MAX_REPORTED",
    "MAX_SOURCE",
    "PROGRESS_EVERY",
    "STAGES",
    "Counts",
    "CustomerResolver",
    "FileError",
    "HealthCsv",
    "ImportResult",
    "Problem",
    "Progress",
    "RawSnapshot",
    "RowError",
    "SnapshotChecker",
    "SnapshotRow",
    "Staging",
    "UserLookupFailed",
    "after_snapshots_written",
    "check_health_file",
    "check_snapshots",
    "column_key",
    "domain_key",
    "import_customers",
    "import_snapshots",
    "parse_date",
    "parse_number",
    "queue_refresh",
    "read_customers_csv",
    "refused",
    "upsert_snapshots",
    "valid_health_batches",
]
