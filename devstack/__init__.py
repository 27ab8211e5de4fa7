"""The embedded local stack: moto (DynamoDB, S3, SQS), chalice local, the queue pump."""
