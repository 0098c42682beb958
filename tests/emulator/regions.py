"""Opt-in regions per account: a stand-in. moto answers DescribeRegions the same for every
account (opt-in regions as "not-opted-in") and lets any account call any region. AWS answers
each account with the regions it has enabled, and refuses calls in an opt-in region it has not
enabled with AuthFailure. Here an account's opted-in regions are listed in OPTED_IN (the seed
fills it): DescribeRegions marks them "opted-in", and an EC2 call in any other opt-in region
answers AuthFailure, as AWS does."""

# account id -> the opt-in regions it has enabled
OPTED_IN = {}


def install():
    from moto.core.responses import BaseResponse
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.availability_zones_and_regions import Region, RegionsAndZonesBackend
    from moto.ec2.responses import EC2Response

    default = set(RegionsAndZonesBackend.regions_opt_in_not_required)

    def opt_in(region):
        # Only the commercial partition has opt-in regions.
        return region not in default and not region.startswith(("us-gov-", "cn-"))

    original = RegionsAndZonesBackend.describe_regions

    def describe_regions(self, region_names=None):
        mine = OPTED_IN.get(self.account_id, set())
        return [
            Region(r.name, r.endpoint, "opted-in") if r.name in mine else r
            for r in original(self, region_names)
        ]

    RegionsAndZonesBackend.describe_regions = describe_regions

    call_action = BaseResponse.call_action

    def guarded(self):
        if isinstance(self, EC2Response) and opt_in(self.region):
            if self.region not in OPTED_IN.get(self.current_account, set()):
                # Answered as moto answers its own errors (401, as AWS does here).
                from moto.core.responses import ActionResult

                error = EC2ClientError(
                    "AuthFailure",
                    "AWS was not able to validate the provided access credentials",
                )
                status, headers, body = self.serialized(ActionResult(error))
                return 401, headers, body
        return call_action(self)

    EC2Response.call_action = guarded
