"""Weekly digests by e-mail: per pilot (their late actions, those ending within 30 days, those
without a note for N weeks) and per director (key figures, what changed this week, what needs a
decision), in French, HTML and plain text.

`settings` (SMTP, base URL, directors), `preferences` (opt-out per address), `build` (the
digests as data), `render` (templates/digest/, MIME), `send` (smtplib), `__main__` (the CLI):

    python -m dashboard.digest --territoire 200068666 --envoyer
"""

from __future__ import annotations

from streamlit import logger as _streamlit_logger
from streamlit import runtime as _streamlit_runtime

if not _streamlit_runtime.exists():  # CLI, cron: Streamlit's "no runtime" notices are expected
    _streamlit_logger.set_log_level("error")
