// Compiles: the body matches the spec's ContactChannelUpdate, and the answers are typed.
import type { ApiError, ContactChannelsClient } from "contact-channels-client";

export async function makePrimary(api: ContactChannelsClient): Promise<boolean | ApiError> {
  const path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}";
  const { data, error } = await api.PATCH(path, {
    params: { path: { user_id: "me", contact_channel_id: "b3d396b8-c574-4c80-97b3-50031675ceb2" } },
    body: { is_primary: true },
  });
  return error ?? data.is_primary;
}
