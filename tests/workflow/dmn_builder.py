"""Small DMN 1.3 documents for tests: one decision table from a compact description."""

from xml.sax.saxutils import escape

NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table_xml(
    *,
    inputs: list[tuple[str, str]],  # (expression, typeRef)
    outputs: list[tuple[str, str, str]],  # (name, typeRef, outputValues text or "")
    rules: list[tuple[list[str], list[str]]],
    hit_policy: str = "UNIQUE",
    aggregation: str = "",
    name: str = "决定",
) -> str:
    head = "".join(
        f'<input id="i{n}" label="{escape(e)}"><inputExpression typeRef="{t}"><text>{escape(e)}</text>'
        "</inputExpression></input>"
        for n, (e, t) in enumerate(inputs)
    )
    head += "".join(
        f'<output id="o{n}" name="{escape(o)}" typeRef="{t}">'
        + (f"<outputValues><text>{escape(v)}</text></outputValues>" if v else "")
        + "</output>"
        for n, (o, t, v) in enumerate(outputs)
    )
    body = "".join(
        f'<rule id="r{n}">'
        + "".join(
            f'<inputEntry id="r{n}i{k}"><text>{escape(x)}</text></inputEntry>' for k, x in enumerate(ins)
        )
        + "".join(
            f'<outputEntry id="r{n}o{k}"><text>{escape(x)}</text></outputEntry>' for k, x in enumerate(outs)
        )
        + "</rule>"
        for n, (ins, outs) in enumerate(rules)
    )
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="{NS}" id="d" name="测试" namespace="urn:t">'
        f'<decision id="dec" name="{escape(name)}"><decisionTable id="t" hitPolicy="{hit_policy}"{agg}>'
        f"{head}{body}</decisionTable></decision></definitions>"
    )
