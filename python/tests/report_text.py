"""Reading `ember report`'s tables back, to compare them with the Python API's rows
(the tables' layout: core/profile/report/report_text.cpp)."""
import re


def heading_samples(text):
    """The sample count of a top table's heading ("ember report: N samples ...")."""
    match = re.search(r"ember report: (\d+) samples", text)
    return int(match.group(1)) if match else None


def top_rows(text):
    """[(self%, self, total%, total, kind, function)] of a top table, in its order."""
    rows, in_table = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("SELF%"):
            in_table = True
            continue
        match = re.match(r"\s*([\d.]+)%\s+(\d+)\s+([\d.]+)%\s+(\d+)\s+(\S+)\s+(.*)$", line)
        if in_table and match:
            self_pct, self_n, total_pct, total_n, kind, function = match.groups()
            rows.append((float(self_pct), int(self_n), float(total_pct), int(total_n), kind,
                         function))
    return rows


def label(name, file):
    """A function as the tables print it."""
    return name if not file else f"{name}  ({file})"
