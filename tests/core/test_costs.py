"""The cost formulas against hand computations."""

import pytest

from advisor.core import costs


def test_lambda_request_rounds_up_to_the_millisecond():
    # 100.2 ms -> 101 ms; 1024 MB = 1 GB; 0.101 GB-s x 0.0000166667 + 0.0000002
    assert costs.lambda_request_usd(100.2, 1024, 0.0000166667, 0.0000002) == pytest.approx(
        0.101 * 0.0000166667 + 0.0000002)


def test_lambda_inference_per_hour_and_month():
    # 40 rps of 50 ms at 2048 MB: per request 0.05 s x 2 GB x p + r
    per_request = 0.05 * 2 * 0.0000166667 + 0.0000002
    cost = costs.lambda_inference(50.0, 2048, 40, 0.0000166667, 0.0000002, hours_per_month=730)
    assert cost.usd_per_1k_requests == pytest.approx(per_request * 1000)
    assert cost.usd_per_hour == pytest.approx(per_request * 40 * 3600)
    assert cost.usd_per_month == pytest.approx(per_request * 40 * 3600 * 730)
    assert dict(cost.breakdown)["requests"] == pytest.approx(0.0000002 * 40 * 3600)


def test_arm64_is_priced_by_the_rate_passed_in():
    x86 = costs.lambda_request_usd(10, 1024, 0.0000166667, 0)
    arm = costs.lambda_request_usd(10, 1024, 0.0000133334, 0)
    assert arm / x86 == pytest.approx(0.8, rel=1e-4)


def test_instances_needed():
    assert costs.instances_needed(40, 15) == 3
    assert costs.instances_needed(45, 15) == 3
    assert costs.instances_needed(0.1, 15) == 1


def test_sagemaker_realtime_per_hour_and_per_request():
    cost = costs.sagemaker_realtime(3, 0.102, rps=40, hours_per_month=730)
    assert cost.usd_per_hour == pytest.approx(0.306)
    assert cost.usd_per_month == pytest.approx(0.306 * 730)
    assert cost.usd_per_1k_requests == pytest.approx(0.306 / (40 * 3600) * 1000)


def test_sagemaker_data_processing():
    # 10 rps x 3600 s x 1 MB = 36 GB an hour at $0.016
    cost = costs.sagemaker_realtime(1, 0.1, rps=10, hours_per_month=730, bytes_per_request=1e6,
                                    usd_per_gb_processed=0.016)
    assert dict(cost.breakdown)["data_processing"] == pytest.approx(36 * 0.016)


def test_serverless_inference():
    # 120.4 ms -> 121 ms at 2048 MB: 0.121 x 2 x 0.00002 + 4 KB x 0.016 / 1e9... per request
    per_request = 0.121 * 2 * 0.00002 + 4000 / 1e9 * 0.016
    cost = costs.serverless_inference(120.4, 2048, 5, 0.00002, 730, bytes_per_request=4000, usd_per_gb_processed=0.016)
    assert cost.usd_per_1k_requests == pytest.approx(per_request * 1000)
    assert cost.usd_per_hour == pytest.approx(per_request * 5 * 3600)


def test_training_on_instances_is_billed_per_second():
    # 2 x $3.825/h for 1,800.2 s -> 1,801 s
    cost = costs.training_on_instances(2, 3.825, 1_800_200)
    assert cost.usd_total == pytest.approx(2 * 3.825 * 1801 / 3600)


def test_training_on_lambda_sums_its_parts():
    cost = costs.training_on_lambda(workers=10, memory_mb=3072, duration_ms=600_000, invocations_per_worker=2,
                                    usd_per_gb_second=0.0000166667, usd_per_request=0.0000002,
                                    channel_request_usd=0.5, channel_node_usd_per_hour=0.068)
    parts = dict(cost.breakdown)
    assert parts["lambda_compute"] == pytest.approx(10 * 600 * 3 * 0.0000166667)
    assert parts["lambda_requests"] == pytest.approx(20 * 0.0000002)
    assert parts["channel_nodes"] == pytest.approx(0.068)  # 10 minutes of a node: a whole node-hour is billed
    assert cost.usd_total == pytest.approx(sum(parts.values()))
    longer = costs.training_on_lambda(workers=10, memory_mb=3072, duration_ms=3_700_000, invocations_per_worker=2,
                                      usd_per_gb_second=0.0000166667, usd_per_request=0.0000002,
                                      channel_node_usd_per_hour=0.068)
    assert dict(longer.breakdown)["channel_nodes"] == pytest.approx(2 * 0.068)  # an hour and 100 s: two


def test_lambda_concurrency_is_littles_law():
    assert costs.lambda_concurrency(250.0, 40) == pytest.approx(10.0)
