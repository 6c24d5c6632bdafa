"""Exceptions that carry context: what was received, what was expected, and what to do."""


class RiverfishError(Exception):
    """Base class of every error the library raises on purpose."""


class InputError(RiverfishError):
    """Bad input from the user (a sample sheet, a FASTQ file, a reference database, ...).

    The message names the file (and line, row or column where it helps), says what was
    found, what was expected, and how to fix it.
    """

    def __init__(self, what: str, *, path=None, line=None, hint: str | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        msg = where + what
        if hint:
            msg += f"\n  hint: {hint}"
        super().__init__(msg)
        self.path = path
        self.line = line
        self.hint = hint


class ToolError(RiverfishError):
    """An external tool (vsearch, cutadapt) failed or gave back something unexpected."""
