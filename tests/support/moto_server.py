"""moto's server, plus the one control moto lacks: results for Redshift Data API statements.

moto answers every Redshift Data API call, but its statements stay STARTED forever and
GetStatementResult always returns the same three rows. Like moto's own
/moto-api/static/rds-data/statement-results, this adds

    POST /moto-api/static/redshift-data/statement-results
    {"region": "eu-central-1", "results": [
        {"status": "FINISHED", "records": [[{"longValue": 3}]]},
        {"status": "FAILED", "error": "ERROR: relation \"x\" does not exist"}]}

Each queued result ends the next statement that is described while still running (in that
region), in order: without one, a statement keeps running, as a slow query does. Everything
else is moto as released. Usage: python3 moto_server.py [moto_server's arguments]
"""

import json
import sys
from collections import defaultdict, deque

from moto.moto_api._internal import urls as moto_api_urls
from moto.redshiftdata import models as data_models
from moto.server import main

QUEUED = defaultdict(deque)


def seed_results(request, full_url, headers):
    body = json.loads(request.get_data() or b"{}")
    region = body.get("region", "us-east-1")
    for result in body.get("results", []):
        QUEUED[region].append(result)
    return 201, {}, ""


moto_api_urls.url_paths["{0}/moto-api/static/redshift-data/statement-results"] = seed_results

Backend = data_models.RedshiftDataAPIServiceBackend
Statement = data_models.Statement
original_describe = Backend.describe_statement
original_result = Backend.get_statement_result
original_iter = Statement.__iter__


def describe_statement(self, statement_id):
    statement = original_describe(self, statement_id)
    queue = QUEUED[self.region_name]
    if statement.status == "STARTED" and not hasattr(statement, "seeded") and queue:
        seeded = queue.popleft()
        statement.seeded = seeded
        statement.status = seeded.get("status", "FINISHED")
        statement.error = seeded.get("error")
        records = seeded.get("records", [])
        statement.has_result_set = statement.status == "FINISHED"
        statement.result_rows = len(records)
    return statement


def get_statement_result(self, statement_id):
    statement = original_describe(self, statement_id)
    seeded = getattr(statement, "seeded", None)
    if seeded is None:
        return original_result(self, statement_id)
    records = seeded.get("records", [])
    columns = seeded.get("column_metadata", [{"name": "value"}])
    return data_models.StatementResult(columns, records, len(records))


def statement_fields(self):
    yield from original_iter(self)
    if getattr(self, "error", None):
        yield "Error", self.error


Backend.describe_statement = describe_statement
Backend.get_statement_result = get_statement_result
Statement.__iter__ = statement_fields

if __name__ == "__main__":
    main(sys.argv[1:])
