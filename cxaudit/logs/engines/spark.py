"""The Spark engine: the same aggregation, run where the log lives, on an Apache Spark session.

The aggregation's SQL (DuckDB's dialect, :mod:`cxaudit.logs.engines.aggregate`)
is translated to Spark SQL by sqlglot, with the few functions sqlglot leaves
as they are written rewritten here (:func:`spark_sql`). Every table the
aggregation makes is a temporary view of this engine's own (prefixed, so a
session's own tables and views are never touched), dropped at :meth:`close`.

The session is the active one (a notebook's, a job's), else one built from
Spark's own environment (``spark-defaults.conf``, ``PYSPARK_SUBMIT_ARGS``,
``SPARK_REMOTE``) and the configuration's ``[tool.cxaudit.engine]`` table:
``master`` and ``config`` (Spark options). Without either it runs locally on
every core.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from cxaudit.errors import UsageError

A = TypeVar("A")
B = TypeVar("B")

PREFIX = "cxaudit_"
"""Every view this engine makes is named with this prefix."""
SOURCE = PREFIX + "source"
POSITION = "__cxaudit_position"
INSTALL = "pip install 'cxaudit[spark]'"
_SPARK_ENVIRONMENT = ("PYSPARK_SUBMIT_ARGS", "SPARK_REMOTE", "MASTER")
"""Where Spark's own environment names a master; then it is Spark's choice, not ours."""


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError:
        raise UsageError(f"--engine spark needs pyspark, which is not installed: {INSTALL}") from None
    return pyspark.sql


def _java_problem() -> str | None:
    """Why Spark cannot start a JVM here, or None when a ``java`` is found."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return None
    if not home and shutil.which("java"):
        return None
    where = f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH and JAVA_HOME is not set"
    return (
        f"--engine spark needs Java 17 or newer ({where}): install a JDK "
        "(on Debian: apt-get install openjdk-17-jre-headless) and set JAVA_HOME, or use --engine duckdb"
    )


def session(settings: Mapping[str, Any]) -> tuple[Any, bool]:
    """The active Spark session, else a new one; and whether it was made here.

    Raises
    ------
    UsageError
        pyspark is not installed, Java is missing, or Spark did not start.
    """
    sql = _pyspark()
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        return active, False
    problem = _java_problem()
    if problem is not None:
        raise UsageError(problem)
    builder = sql.SparkSession.builder.appName(str(settings.get("app_name", "cxaudit")))
    if "master" in settings:
        builder = builder.master(str(settings["master"]))
    options = {"spark.ui.showConsoleProgress": "false", "spark.sql.session.timeZone": "UTC"}
    if "master" not in settings and not any(os.environ.get(name) for name in _SPARK_ENVIRONMENT):
        builder = builder.master("local[*]")
        # Spark's 200 shuffle partitions are for clusters; on one machine each costs more than it holds.
        options["spark.sql.shuffle.partitions"] = str(2 * (os.cpu_count() or 1))
        # and its catalog would leave a spark-warehouse folder wherever the command runs
        import tempfile

        options["spark.sql.warehouse.dir"] = os.path.join(tempfile.gettempdir(), "cxaudit-spark-warehouse")
    options.update({str(key): str(value) for key, value in dict(settings.get("config", {})).items()})
    for key, value in options.items():
        builder = builder.config(key, value)
    try:
        made = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - Spark's start-up errors come in many kinds
        raise UsageError(f"Spark did not start: {_first_line(exc)}") from None
    made.sparkContext.setLogLevel("ERROR")
    return made, True


# strptime codes (DuckDB's) as Spark's datetime pattern letters; one letter where DuckDB takes one digit or two.
_PATTERN_LETTERS = {
    "%Y": "yyyy",
    "%y": "yy",
    "%m": "M",
    "%d": "d",
    "%H": "H",
    "%I": "h",
    "%M": "m",
    "%S": "s",
    "%f": "SSSSSS",
    "%p": "a",
    "%b": "MMM",
    "%B": "MMMM",
    "%z": "XXX",
}


def spark_pattern(time_format: str) -> str:
    """A strptime format as Spark's datetime pattern.

    >>> spark_pattern("%d.%m.%Y %H:%M"), spark_pattern("%Y-%m-%dT%H:%M:%S.%f%z")
    ('d.M.yyyy H:m', "yyyy-M-d'T'H:m:s.SSSSSSXXX")

    Raises
    ------
    UsageError
        A code Spark has no letter for.
    """
    pattern, at = [], 0
    while at < len(time_format):
        code = time_format[at : at + 2]
        if code == "%%":
            pattern.append("%")
        elif code.startswith("%"):
            if code not in _PATTERN_LETTERS:
                known = " ".join(_PATTERN_LETTERS)
                raise UsageError(f"--time-format: {code} has no equivalent on Spark; use {known}")
            pattern.append(_PATTERN_LETTERS[code])
        else:
            character = time_format[at]
            pattern.append(f"'{character}'" if character.isalpha() else "''" if character == "'" else character)
            at += 1
            continue
        at += 2
    return "".join(pattern)


@functools.lru_cache(maxsize=256)
def spark_sql(sql: str) -> str:
    """The aggregation's SQL (DuckDB's dialect) as Spark SQL, its tables named with :data:`PREFIX`.

    >>> spark_sql("SELECT epoch_us(began) FROM visits")
    'SELECT UNIX_MICROS(began) FROM cxaudit_visits'
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    named = {cte.alias for cte in tree.find_all(exp.CTE)}  # a query's own names are not tables

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name not in named and not node.name.startswith(PREFIX):
            return exp.to_table(PREFIX + node.name, alias=node.alias or None)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us":
            return exp.UnixMicros(this=node.expressions[0])
        if isinstance(node, exp.Anonymous) and node.name.lower() == "try_strptime":  # NULL where it cannot read
            text, time_format = node.expressions
            pattern = exp.Literal.string(spark_pattern(time_format.name))
            return exp.Anonymous(this="TRY_TO_TIMESTAMP", expressions=[text, pattern])
        if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
            return exp.DataType.build("DECIMAL(38, 0)")  # exact, as DuckDB's HUGEINT
        if isinstance(node, exp.PercentileCont):  # quantile_cont(x, q): Spark's exact percentile
            return exp.Anonymous(this="PERCENTILE", expressions=[node.this, node.expression])
        if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
            # list(x ORDER BY a, b): Spark's collect_list has no order; sort (a, b, x) structs instead
            keys = [ordered.this for ordered in node.this.expressions]
            fields = [exp.alias_(key, f"k{i}") for i, key in enumerate(keys)]
            fields.append(exp.alias_(node.this.this, "v"))
            collected = exp.Anonymous(this="COLLECT_LIST", expressions=[exp.Struct(expressions=fields)])
            ordered = exp.Anonymous(this="ARRAY_SORT", expressions=[collected])
            return sqlglot.parse_one(f"TRANSFORM({ordered.sql('spark')}, e -> e.v)", read="spark")
        return node

    return tree.transform(rewrite).sql("spark")


def delimiter(path: str) -> str:
    """The delimiter of a CSV file here, as its first lines show it (DuckDB's reader finds it the same way);
    a comma for a file elsewhere (``s3a://``...) or one that does not tell.

    >>> delimiter("events.tsv"), delimiter("s3a://bucket/events.csv")
    ('\\t', ',')
    """
    import csv
    import gzip

    if path.lower().endswith(".tsv"):
        return "\t"
    if not os.path.isfile(path):
        return ","
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as stream:
            sample = stream.read(65536)
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except (OSError, csv.Error):
        return ","


class SparkEngine:
    """The aggregation on a Spark session; rows carry no order of their own, so each case is sorted."""

    name = "spark"
    file_order = False
    source_position = POSITION
    events_position = "position"

    def __init__(self, *, progress: bool = False, settings: Mapping[str, Any] | None = None) -> None:
        self._session, self._owned = session(settings or {})
        self._progress = progress
        self._views: dict[str, Any] = {}
        self._zone = self._session.conf.get("spark.sql.session.timeZone")
        # A time without an offset is read as UTC, as DuckDB reads it: the same gaps everywhere.
        self._session.conf.set("spark.sql.session.timeZone", "UTC")
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        self.errors = (PySparkException, Py4JError)

    def open(  # a CSV is read as text: as_text changes nothing
        self, path: str, *, as_text: bool = False, encoding: str = "utf-8"
    ) -> tuple[str, dict[str, str]]:
        from pyspark.errors import AnalysisException
        from pyspark.sql import functions

        reader = self._session.read
        lowered = path.rstrip("/").lower()
        try:
            if path.startswith("table:"):
                frame = self._table(path[len("table:") :])
            elif lowered.endswith((".xes", ".xes.gz")):
                raise UsageError(f"{path}: XES logs are read by --engine duckdb; write them as Parquet for Spark")
            elif lowered.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
                charset = {"latin-1": "ISO-8859-1", "utf-16": "UTF-16"}.get(encoding, "UTF-8")
                frame = reader.csv(path, header=True, inferSchema=False, sep=delimiter(path), encoding=charset)
            else:  # a Parquet file, a folder of them or a glob
                frame = reader.parquet(path)
        except AnalysisException as exc:
            raise UsageError(f"cannot read the event log {path}: {_first_line(exc)}") from None
        # A row's place: its file, then its order within it (for ties of time within a case).
        frame = frame.withColumn(
            POSITION, functions.struct(functions.input_file_name(), functions.monotonically_increasing_id())
        )
        for column, kind in frame.dtypes:
            if kind == "timestamp_ntz":  # a naive time is UTC, as DuckDB takes it
                frame = frame.withColumn(column, functions.col(column).cast("timestamp"))
        self._keep(SOURCE, frame, cache=False)
        types = {column: kind.upper() for column, kind in frame.dtypes if column != POSITION}
        return SOURCE, types

    def _table(self, name: str) -> Any:
        from pyspark.errors import AnalysisException

        try:
            return self._session.table(name)
        except AnalysisException:
            known = sorted(table.name for table in self._session.catalog.listTables())
            from cxaudit.spec import did_you_mean

            listed = f" (tables: {', '.join(known)})" if known else " (it knows no tables)"
            raise UsageError(
                f"the Spark session has no table '{name}'{did_you_mean(name, known)}{listed}; "
                "register the log with createOrReplaceTempView or name a path"
            ) from None

    def _keep(self, name: str, frame: Any, *, cache: bool) -> None:
        self.drop(name)
        if cache:
            frame = frame.persist()
        frame.createOrReplaceTempView(name)
        self._views[name] = frame

    def drop(self, name: str) -> None:
        frame = self._views.pop(name, None)
        if frame is not None:
            frame.unpersist()
            self._session.catalog.dropTempView(name)

    def _collect(self, sql: str) -> list[tuple[Any, ...]]:
        from cxaudit.progress import Watch

        with Watch("Spark", self._tasks, self._progress):
            return [tuple(row) for row in self._session.sql(spark_sql(sql)).collect()]

    def _tasks(self) -> tuple[int, int] | None:
        tracker = self._session.sparkContext.statusTracker()
        stages = [tracker.getStageInfo(stage) for stage in tracker.getActiveStageIds()]
        stages = [stage for stage in stages if stage is not None]
        if not stages:
            return None
        return sum(stage.numCompletedTasks for stage in stages), sum(stage.numTasks for stage in stages)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self._collect(sql)

    def row(self, sql: str) -> tuple[Any, ...]:
        return self._collect(sql)[0]

    def run(self, sql: str) -> None:
        import sqlglot
        from sqlglot import exp

        statement = sqlglot.parse_one(sql, read="duckdb")
        if isinstance(statement, exp.Drop):
            for table in statement.find_all(exp.Table):
                self.drop(PREFIX + table.name)
            return
        if not isinstance(statement, exp.Create) or statement.expression is None:
            raise ValueError(f"the Spark engine runs CREATE ... AS and DROP only, not: {sql.split()[0]}")
        name = PREFIX + statement.this.name
        frame = self._session.sql(spark_sql(statement.expression.sql("duckdb")))
        self._keep(name, frame, cache=str(statement.args.get("kind", "")).upper() == "TABLE")

    def has_table(self, name: str) -> bool:
        return PREFIX + name in self._views

    def put_rows(self, name: str, columns: Sequence[str], rows: Iterable[Sequence[str | None]]) -> None:
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(column, StringType(), True) for column in columns])
        self._keep(PREFIX + name, self._session.createDataFrame([tuple(row) for row in rows], schema), cache=False)

    def beside(self, first: Callable[[Any], A], second: Callable[[Any], B]) -> tuple[A, B]:
        return first(self), second(self)  # Spark spreads each query over the cluster already

    def close(self) -> None:
        for name in list(self._views):
            self.drop(name)
        if self._owned:
            self._session.stop()
        elif self._zone is not None:
            self._session.conf.set("spark.sql.session.timeZone", self._zone)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
