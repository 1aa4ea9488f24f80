// Must not compile: `is_primary` is a boolean in the spec's ContactChannelUpdate.
import type { ContactChannelsClient } from "contact-channels-client";

export async function makePrimary(api: ContactChannelsClient): Promise<void> {
  const path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}";
  await api.PATCH(path, {
    params: { path: { user_id: "me", contact_channel_id: "b3d396b8-c574-4c80-97b3-50031675ceb2" } },
    body: { is_primary: "yes" },
  });
}
