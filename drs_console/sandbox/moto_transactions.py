"""moto: per-item rollback for TransactWriteItems, so a prune-sized transaction does not deep-copy
whole tables (``speed_up_moto_transactions``)."""

from __future__ import annotations

from typing import Any

_patched = False


def speed_up_moto_transactions() -> None:
    """Make moto's TransactWriteItems snapshot only the items it touches (moto deep-copies every
    table involved on each call: over a minute per call on a 40,000-item table). Same semantics:
    all or nothing, CancellationReasons per item, ALL_OLD items on condition failures. Idempotent."""
    global _patched
    if _patched:
        return
    import copy

    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        snapshots: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, original item or None)
        target_items: set[tuple[str, str]] = set()

        def rollback() -> None:
            for table, hv, rv, original in reversed(snapshots):
                if original is None:
                    table.delete_item(hv, rv)
                elif rv is not None:
                    table.items[hv][rv] = original
                else:
                    table.items[hv] = original

        errors: list[tuple[Any, Any, Any]] = []
        for item in transact_items:
            original_item = None
            if len(list(item.keys())) > 1:
                rollback()
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                table = self.get_table(table_name)
                if op_type == "Put":
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                unique = (str(table_name), str(dict(sorted(key.items()))))
                if unique in target_items:
                    raise MultipleTransactionsException()
                target_items.add(unique)
                current = self.get_item(table_name, key)
                condition = op.get("ConditionExpression")
                if condition is not None:
                    cond = get_filter_expression(
                        condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                    )
                    if not cond.expr(current):
                        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)
                if op_type != "ConditionCheck":
                    hv, rv = self.get_keys_value(table, key)
                    snapshots.append((table, hv, rv, copy.deepcopy(current) if current is not None else None))
                if op_type == "Put":
                    self.put_item(
                        table_name,
                        op["Item"],
                        condition_expression=condition,
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                elif op_type == "Delete":
                    self.delete_item(
                        table_name,
                        key,
                        condition_expression=condition,
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                elif op_type == "Update":
                    self.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=condition,
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                rollback()
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))
            except Exception as e:  # noqa: BLE001 - reported per item, like moto
                errors.append((type(e).__name__, str(e), original_item))
        if any(code is not None for code, _m, _i in errors):
            rollback()
            raise TransactionCanceledException(errors)

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _patched = True
