"""A service's container image: `push` builds it for the service's CPU architecture and pushes it to
the service's ECR repository (`make push-image`); `set_tag` sets the image tag the service runs in
one environment, in its service file of the config of record (`make set-image-tag`). `service`
finds the service in the config; `dockerfile` compares the Dockerfile with how the service runs
the image; `digests` compares the digests the images are pinned to with their registries
(`make image-digests`)."""
