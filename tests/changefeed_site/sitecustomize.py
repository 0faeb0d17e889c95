"""Child processes of the tests (ingest workers, `dam` servers) check the change feed too.

tests/conftest.py puts this folder on PYTHONPATH and names a log in ACERVO_CHANGEFEED_LOG; a
child then installs the same check as the tests and appends what it catches to that log, which
the test that started it reads (tests/changefeed_check.py). Without the variable it does nothing.
"""

import os

if os.environ.get("ACERVO_CHANGEFEED_LOG"):
    try:
        from tests import changefeed_check
    except ImportError:  # another Python, or a process that does not see the project
        pass
    else:
        changefeed_check.install(log=os.environ["ACERVO_CHANGEFEED_LOG"])
