/** The ways the portal reaches a citizen (CH-1, CH-2): named once, for workflows, activities and history. */
export const channelNames = ['sms', 'email', 'push'] as const;

export type ChannelName = (typeof channelNames)[number];
