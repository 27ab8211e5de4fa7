"""The embedded local stack: moto for DynamoDB, S3 and SQS, chalice local with API Gateway's error responses, the queue pump."""
